"""Training, apart from the pictures: the committed set of pictures with the page that teaches
with them (scenario cards walked step by step, a practice quiz graded by the machine).

This package imports the pictures of :mod:`aftersales.diagrams`; they never import it.
"""

from .page import page_html, render_all, training_diagrams, write_page

__all__ = ["page_html", "render_all", "training_diagrams", "write_page"]
