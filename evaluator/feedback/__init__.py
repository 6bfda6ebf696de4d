"""Feedback and appeal (反馈, 申诉举证) before the final report, and the rectification list
(整改清单) tracked to closure after it: the evaluated unit's side of an evaluation."""
