"""
pytest plugin for ``make mutate``: lets mutmut's mutants live in modules that
Salt's loader names.

mutmut turns each mutated function into a trampoline that runs the mutant
whose name is ``<module>.<function>__mutmut_<n>``, where ``<module>`` comes
from the file's path (``_modules.sysconfig``), and it compares that with the
``__module__`` of the functions behind the trampoline. Salt's loader gives a
module another name (``salt.loaded.ext.module.sysconfig``), and so do the
unit tests, which load the files by path: no mutant would ever run. Salt
needs its name on the functions it calls. So the wrapper that Salt calls
keeps the loader's name, and the functions behind it (the original and its
mutants), which only the trampoline calls, get the path's name, as the
trampoline takes them.

Relies on mutmut 3.8.1's ``wrap_in_trampoline`` (pinned in
``tests/requirements.txt``).
"""

import collections.abc
import os

import mutmut.mutation.trampoline

_wrap_in_trampoline = mutmut.mutation.trampoline.wrap_in_trampoline


def module_name(path):
    """The module name mutmut gives ``<repo>/_modules/sysconfig.py``: ``_modules.sysconfig``."""
    directory, base = os.path.split(path)
    return f"{os.path.basename(directory)}.{os.path.splitext(base)[0]}"


class _NamedByPath(collections.abc.Mapping):
    """The module's table of a function's variants, each named by path when taken
    (the module fills the table only after it has defined the trampoline)."""

    def __init__(self, variants, name):
        self._variants, self._name = variants, name

    def __getitem__(self, key):
        variant = self._variants[key]
        variant.__module__ = self._name
        return variant

    def __iter__(self):
        return iter(self._variants)

    def __len__(self):
        return len(self._variants)


def _wrap_named_by_path(variants, is_classmethod=False):
    def wrap(function):
        name = module_name(function.__code__.co_filename)
        wrapper = _wrap_in_trampoline(_NamedByPath(variants, name), is_classmethod)(function)
        function.__module__ = name  # the wrapper keeps the loader's name, for Salt
        return wrapper

    return wrap


mutmut.mutation.trampoline.wrap_in_trampoline = _wrap_named_by_path
