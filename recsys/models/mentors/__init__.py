"""The mentor recommender, one idea per module.

- :mod:`~recsys.models.mentors.eligibility`: who may mentor whom (the :class:`Roster`).
- :mod:`~recsys.models.mentors.coverage`: competency profiles and how far a mentor is ahead
  where a mentee is behind.
- :mod:`~recsys.models.mentors.effect`: the effectiveness model (log link, LightGBM).
- :mod:`~recsys.models.mentors.pool`: a roster with profiles and effectiveness, scored.
- :mod:`~recsys.models.mentors.recommender`: :class:`MentorRecommender`, the estimator, and
  how a forecast is made.

Mentor features (record, developing others, distance) are in :mod:`recsys.features.mentor`.
"""
