"""The expert review: panels per round, assignment with recusal, scoring, ranking, feedback, export.

Generic: every procedure-specific word (stages, triggers, rules, scoring tables) comes from the
definition's `review:` key and the scoring files beside it.
"""
