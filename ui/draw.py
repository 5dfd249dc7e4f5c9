"""Pages draw with the same code as core's video and live annotation."""

from core.engine.draw import LANDMARK, NEUTRAL, VERDICT_COLOURS, draw_faces  # noqa: F401
