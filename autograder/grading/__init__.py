"""The grade step: every collected submission in a parallel worker (batch), each rebuilt from the source
(assembly), run in a sandboxed kernel under the grading limits (engine, execution, guard, sandbox, limits)
and scored (results)."""
