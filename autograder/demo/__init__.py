"""The demo's sample submissions and attack payloads (samples), and the nbgrader benchmark (benchmark)."""
