"""Case history files (spec section 9): a line's shape (:mod:`.lines`, the models the JSON Schema
is generated from) and the reader that parses, replays and exports them (:mod:`.reader`)."""

from .lines import COMMAND_OPS, EXPECT_KEYS, LINE_KEYS, HistoryLine
from .reader import (
    MAX_BYTES,
    MAX_LINE,
    Failure,
    HistoryError,
    Line,
    MemoryTarget,
    Outcome,
    Summary,
    Target,
    dump_lines,
    export_lines,
    opening,
    parse_history,
    read_history,
    replay_file,
    replay_lines,
)

__all__ = [
    "COMMAND_OPS",
    "EXPECT_KEYS",
    "LINE_KEYS",
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
