"""Protection: what keeps a submission from changing how its tests judge it.

`install(ip)` runs in the grading kernel before any submitted code (the first cell imports this
module). It captures the builtins, the comparison functions tests use (math.isclose, numpy's and
torch's allclose/isclose/equal and testing functions), the IPython hooks and the output streams,
and returns three closures the engine calls under a random per-submission name:

    restore()      put all of that back, and the objects each solution cell defined: before every test part
    keep(names)    remember what a solution cell defined (a later cell cannot swap in a stub)
    report(token)  print a test part's OK or FAIL token on the real output stream

`guarded(code, ...)` (the engine's side) wraps one test part in try/except that reports through
those tokens; a test passes only if its OK token is printed and its FAIL token is not.
"""
from __future__ import annotations

import importlib
import textwrap
import traceback

PROTECTED = [("math", ["isclose"]),
             ("numpy", ["allclose", "isclose", "array_equal", "isfinite", "abs"]),
             ("numpy.testing", ["assert_allclose", "assert_array_equal", "assert_equal",
                                "assert_almost_equal", "assert_array_almost_equal"]),
             ("torch", ["allclose", "isclose", "equal", "isfinite"]),
             ("torch.testing", ["assert_close"])]


def _modules() -> dict:
    mods = {}
    for mod, names in PROTECTED:
        try:
            m = importlib.import_module(mod)
        except Exception:  # noqa: BLE001  (a library that is not installed protects nothing)
            continue
        mods[mod] = (m, {n: getattr(m, n) for n in names if hasattr(m, n)})
    return mods


def install(ip):
    """Capture the kernel's trusted state now; return (restore, keep, report).

    Everything the closures use is a local of this call (no module global): code that later replaces
    an attribute of this module, of sys or of builtins cannot change what restore() does."""
    import builtins as _builtins
    import sys as _sys
    saved_builtins = dict(vars(_builtins))
    mods = _modules()
    hooks = (list(ip.input_transformers_cleanup), list(ip.input_transformers_post), list(ip.ast_transformers),
             {e: list(cbs) for e, cbs in ip.events.callbacks.items()})
    out = (_sys.stdout, _sys.stderr, type(_sys.stdout).write)
    settrace, setprofile = _sys.settrace, _sys.setprofile
    user_ns = ip.user_ns
    funcs = {}
    _print, _setattr, _list, _type, _vars = print, setattr, list, type, vars
    _format = traceback.format_exception_only

    def restore():
        bvars = _vars(_builtins)
        for k in _list(bvars):
            if k not in saved_builtins:
                del bvars[k]
        bvars.update(saved_builtins)
        for mod, (m, attrs) in mods.items():
            _sys.modules[mod] = m
            for n, v in attrs.items():
                _setattr(m, n, v)
        ip.input_transformers_cleanup[:], ip.input_transformers_post[:], ip.ast_transformers[:] = (
            _list(hooks[0]), _list(hooks[1]), _list(hooks[2]))
        for e, cbs in hooks[3].items():
            ip.events.callbacks[e][:] = cbs
        settrace(None)
        setprofile(None)
        _setattr(_sys, "stdout", out[0])
        _setattr(_sys, "stderr", out[1])
        _setattr(_type(out[0]), "write", out[2])
        for name, obj in funcs.items():
            user_ns[name] = obj

    def keep(names):
        for n in names:
            if n in user_ns:
                funcs[n] = user_ns[n]

    def report(token, error=None):
        _setattr(_sys, "stdout", out[0])
        _setattr(_type(out[0]), "write", out[2])
        if error is None:
            _print(token, file=out[0], flush=True)
        else:
            msg = "".join(_format(_type(error), error)).strip()
            _print(token + " " + msg[:2000], file=out[0], flush=True)

    return restore, keep, report


def setup_code(stash: str) -> str:
    """The first cell of every grading kernel: install the guard under the names `<stash>_restore` etc."""
    return (f"from autograder.grading.guard import install as {stash}_install\n"
            f"{stash}_restore, {stash}_keep, {stash}_report = {stash}_install(get_ipython())\n"
            f"del {stash}_install\n")


def guarded(code: str, stash: str, ok: str, fail: str) -> str:
    """One test part wrapped so that it reports `ok` or `fail` (with the error) through the guard."""
    body = textwrap.indent(code if code.strip() else "pass", "    ")
    return (f"{stash}_restore()\ntry:\n{body}\n    pass\n"
            f"except BaseException as {stash}_e:\n    {stash}_report({fail!r}, {stash}_e)\n"
            f"else:\n    {stash}_report({ok!r})\n")
