"""paved/render.py: one copier pass per golden path."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest


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


def test_the_template_settings_paved_presets_are_still_cached_properties() -> None:
    """paved tells copier's Template that it is no git repository and which choices are
    already checked by writing its cached properties; a copier release that computes
    them some other way must fail here, not silently bring the costs back."""
    import functools

    from copier._template import Template

    for name in ("vcs", "questions_data"):
        assert isinstance(inspect.getattr_static(Template, name), functools.cached_property)


def test_copier_keeps_the_choices_paved_does_not_check_the_same_way() -> None:
    from paved.render import _checked_by_paved

    assert _checked_by_paved({"choices": ["dev", "prod", 3, 1.5, True, None]})
    assert _checked_by_paved({"choices": {"Development": "dev", "Production": "prod"}})
    assert not _checked_by_paved({"choices": ["dev", "{{ extra }}"]})
    assert not _checked_by_paved({"choices": "{{ environments }}"})
    assert not _checked_by_paved({"choices": {"Dev": {"value": "dev", "validator": "no"}}})
    assert not _checked_by_paved({"choices": [["Dev", "dev"]]})
    assert not _checked_by_paved({"choices": ["a", "b"], "multiselect": True})


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


_CHOICES_TEMPLATE = {
    "copier.yml": (
        "tier: {type: str, choices: [gold, silver], default: silver}\n"
        "region: {type: str, choices: {Europe: eu, America: us}, default: eu}\n"
        "size: {type: int, choices: [1, 2, 3], default: 2}\n"
        "zone: {type: str, choices: '{{ [region ~ \"-1\", region ~ \"-2\"] }}',"
        " default: '{{ region }}-1'}\n"
        "legacy: {type: str, choices: [a, b], default: b, when: false}\n"
        "name: {type: str, default: demo, validator: '{% if not name %}required{% endif %}'}\n"
        "parts: {type: yaml, default: [api, worker]}\n"
    ),
    "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
    "README.md.jinja": "{{ name }} {{ tier }} {{ region }} {{ size }} {{ zone }} {{ legacy }}\n",
    "src/static.txt": "not a template {{ name }}\n",
    "src/{{ name }}.txt.jinja": "{{ tier }}\n",
    "{% yield part from parts %}{{ part }}{% endyield %}/main.py.jinja": "{{ part }}\n",
    "docs/plain.md.jinja": "docs for {{ name }}\n",
}


def test_paved_renders_a_template_with_choices_exactly_as_copier_does(tmp_path: Path) -> None:
    """The costs paved's Worker takes out (choices checked twice, path parts without
    Jinja rendered, the git probe) must not change one byte of what copier writes."""
    import copier

    from paved.render import render_layers

    template = _write(tmp_path / "template", _CHOICES_TEMPLATE)
    data = {"tier": "gold", "region": "us", "size": 3, "zone": "us-2", "name": "shop",
            "parts": ["api", "jobs"], "paved_layer": ""}

    render_layers(template, [""], tmp_path / "paved", data, trust=False)
    copier.run_copy(str(template), tmp_path / "copier", data=data, defaults=True, quiet=True)

    def files(root: Path) -> dict[str, bytes]:
        return {path.relative_to(root).as_posix(): path.read_bytes()
                for path in sorted(root.rglob("*")) if path.is_file()}

    rendered = files(tmp_path / "paved")
    assert rendered == files(tmp_path / "copier")
    assert set(rendered) == {".copier-answers.yml", "README.md", "src/static.txt",
                             "src/shop.txt", "api/main.py", "jobs/main.py", "docs/plain.md"}
    assert rendered["README.md"] == b"shop gold us 3 us-2 b\n"


def test_copier_still_refuses_a_choice_only_it_checks(tmp_path: Path) -> None:
    from paved.errors import RenderError
    from paved.render import render_layers

    template = _write(tmp_path / "template", {
        "copier.yml": "region: {type: str, default: eu}\n"
                      "zone: {type: str, choices: '{{ [region ~ \"-1\"] }}', default: eu-1}\n",
        "zone.txt.jinja": "{{ zone }}\n",
    })
    with pytest.raises(RenderError, match="zone"):
        render_layers(template, [""], tmp_path / "out", {"region": "eu", "zone": "eu-9"},
                      trust=False)


def test_plain_text_is_recognised_with_the_environments_own_markup() -> None:
    from copier._jinja_ext import YieldExtension, get_yield_context
    from jinja2.sandbox import SandboxedEnvironment

    from paved.render import is_plain_text

    env = SandboxedEnvironment(extensions=[YieldExtension])
    assert is_plain_text(env, "module_0.py")
    assert is_plain_text(env, "")
    for source in ("{{ name }}.py", "{% if x %}a{% endif %}", "a{# note #}", "a\n", "a\rb"):
        assert not is_plain_text(env, source)
    env.from_string("{% yield x from items %}{{ x }}{% endyield %}").render(items=[1])
    assert get_yield_context(env).yield_name == "x"
    assert is_plain_text(env, "plain")
    assert get_yield_context(env).yield_name is None  # reset, as a render would

    brackets = SandboxedEnvironment(variable_start_string="[[", variable_end_string="]]",
                                    line_statement_prefix="%%")
    assert is_plain_text(brackets, "{{ not markup here }}")
    assert not is_plain_text(brackets, "[[ name ]]")
    assert not is_plain_text(brackets, "%% if x")


def test_copier_is_imported_without_its_prompt_libraries_which_load_on_first_use() -> None:
    """paved never lets copier prompt, so a render need not pay for importing
    questionary and prompt_toolkit; should copier use them, they are imported then.
    Choices, which copier checks answers against, are paved's small stand-in."""
    script = (
        "import sys\n"
        "from paved import render\n"
        "render._worker_class()\n"
        "print(sorted(m for m in render._PROMPT_MODULES if m in sys.modules))\n"
        "from copier._user_data import Choice\n"
        "choice = Choice('staging')\n"
        "print(type(choice).__module__, choice.title, choice.value)\n"
        "from copier._main import confirm\n"
        "print(confirm('ok?').__class__.__module__)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines() == ["[]", "paved.render staging staging",
                                        "questionary.question"]


def test_rendering_the_bundled_golden_path_loads_no_prompt_library(tmp_path: Path) -> None:
    """The golden path asks choice questions; paved has checked those answers, so copier
    renders it without loading questionary or prompt_toolkit."""
    script = (
        "import sys\n"
        "from paved import render\n"
        "from paved.cli import main\n"
        f"sys.argv = ['paved', 'new', 'service', 'shop', '--dest', {str(tmp_path / 'shop')!r},"
        " '--defaults', '--no-git']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(sorted(m for m in render._PROMPT_MODULES if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert (tmp_path / "shop" / "README.md").is_file()


def test_copier_does_not_probe_the_template_with_git(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """paved renders from directories it made, never git repositories: copier's probe
    (three git processes per render) is skipped."""
    import copier._template

    from paved.render import render_layers

    def probe(url: str) -> None:
        raise AssertionError(f"copier asked git about {url}")

    monkeypatch.setattr(copier._template, "get_repo", probe)
    template = _write(tmp_path / "template", {"copier.yml": "name: {type: str, default: x}\n",
                                              "name.txt.jinja": "{{ name }}\n"})
    render_layers(template, [""], tmp_path / "out", {"name": "shop"}, trust=False)
    assert (tmp_path / "out" / "name.txt").read_text() == "shop\n"
