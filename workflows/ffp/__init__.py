"""Food, feed or processing (CP Art 11, Annex II): the procedure's workflow and models."""

from workflows.ffp.workflow import FoodFeedProcessing

__all__ = ["FoodFeedProcessing"]
