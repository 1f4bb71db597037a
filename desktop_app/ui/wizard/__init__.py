"""The delegation wizard: one small file per page; the flow evaluator decides the order."""
