"""Case history files (docs/concepts/histories.md): a line's shape (:mod:`.lines`, the models
the JSON Schema is generated from), the reader and writer of the files (:mod:`.reader`), and the
replay that checks their expectations (:mod:`.replay`)."""

from .lines import HistoryLine
from .reader import (
    MAX_BYTES,
    MAX_LINE,
    HistoryError,
    Line,
    dump_lines,
    export_lines,
    parse_history,
    read_history,
)
from .replay import (
    Failure,
    MemoryTarget,
    Outcome,
    Summary,
    Target,
    opening,
    replay_file,
    replay_lines,
)

__all__ = [
    "MAX_BYTES",
    "MAX_LINE",
    "Failure",
    "HistoryError",
    "HistoryLine",
    "Line",
    "MemoryTarget",
    "Outcome",
    "Summary",
    "Target",
    "dump_lines",
    "export_lines",
    "opening",
    "parse_history",
    "read_history",
    "replay_file",
    "replay_lines",
]
