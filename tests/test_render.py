"""paved/render.py: one copier pass per golden path."""

from __future__ import annotations

import inspect
from pathlib import Path


def test_the_copier_step_paved_skips_still_exists_with_the_same_signature() -> None:
    """paved skips copier's per-file `git config` (docs/benchmarks.md) by overriding a
    private method; a copier release that renames or reshapes it must fail here, not
    silently bring the git processes back or break rendering."""
    from copier._main import Worker

    method = Worker._sync_git_index_executable_bit
    assert list(inspect.signature(method).parameters) == ["self", "dst_relpath", "src_mode"]


def test_the_copier_environment_paved_wraps_is_still_a_cached_property(
        tmp_path: Path) -> None:
    """paved's Worker overrides copier's `jinja_env` to compile each string once; a
    copier release that stops caching its environment per Worker must fail here."""
    import functools

    from copier._main import Worker

    from paved.render import _worker_class

    assert isinstance(inspect.getattr_static(Worker, "jinja_env"), functools.cached_property)
    (tmp_path / "copier.yml").write_text("name: {type: str, default: x}\n")
    worker = _worker_class()(src_path=str(tmp_path), dst_path=tmp_path / "out")
    first = worker.jinja_env.from_string("{{ name }}")
    assert worker.jinja_env is worker.jinja_env
    assert worker.jinja_env.from_string("{{ name }}").root_render_func.__code__ is \
        first.root_render_func.__code__


def test_compile_once_compiles_each_string_once_and_renders_every_use() -> None:
    from copier._jinja_ext import YieldExtension
    from jinja2.sandbox import SandboxedEnvironment

    from paved.render import compile_once

    env = SandboxedEnvironment(extensions=[YieldExtension])
    compiled: list[str] = []
    original = env.compile

    def counting(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(source)
        return original(source, *args, **kwargs)

    env.compile = counting  # type: ignore[method-assign]
    compile_once(env)
    rendered = [env.from_string(source).render(name=name)
                for source, name in [("{{ name }}.py", "a"), ("{{ name }}.py", "b"),
                                     ("src", "c"), ("{{ name }}.py", "d")]]
    assert rendered == ["a.py", "b.py", "src", "d.py"]
    assert compiled == ["{{ name }}.py", "src"]


def test_compile_once_still_resets_copiers_yield_tag_for_each_use() -> None:
    """copier reads the `yield` tag's state after rendering each path part; a part
    served from memory must clear what the previous part's tag left, as compiling does."""
    from copier._jinja_ext import YieldExtension, get_yield_context
    from jinja2.sandbox import SandboxedEnvironment

    from paved.render import compile_once

    env = compile_once(SandboxedEnvironment(extensions=[YieldExtension]))
    env.from_string("plain").render()
    env.from_string("{% yield x from items %}{{ x }}{% endyield %}").render(items=[1, 2])
    assert get_yield_context(env).yield_name == "x"
    env.from_string("plain").render()
    assert get_yield_context(env).yield_name is None
