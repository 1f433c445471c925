"""The top-level package re-exports a sorted, complete ``__all__``."""

from __future__ import annotations

import inspect

import aftersales
from aftersales.workflow import errors


def test_all_is_sorted_and_resolves():
    assert aftersales.__all__ == sorted(aftersales.__all__)
    for name in aftersales.__all__:
        assert hasattr(aftersales, name), name


def test_every_error_class_is_exported():
    classes = {
        name
        for name, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.AftersalesError)
    }
    assert classes <= set(aftersales.__all__)


def test_every_public_name_has_a_docstring():
    for name in aftersales.__all__:
        obj = getattr(aftersales, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), name
