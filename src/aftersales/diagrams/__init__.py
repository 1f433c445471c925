"""Pictures of the machine drawn with graphviz; reads only the workflow.

Extract (:mod:`.model`), label (:mod:`.words`, :mod:`.labels`), draw (:mod:`.draw`,
:mod:`.overview`, :mod:`.render`). The training page that uses them is the subpackage
:mod:`aftersales.diagrams.training`.
"""

from ..extras import require

require("aftersales.diagrams", "diagrams", "graphviz")

from .render import FORMATS, actor_diagram, case_diagram, highlight_diagram, machine_diagram

__all__ = ["FORMATS", "actor_diagram", "case_diagram", "highlight_diagram", "machine_diagram"]
