"""The one module that touches copier and Jinja: turns a layer plus answers into files.

Copier is imported lazily: it costs ~0.2 s to import and most commands never render.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib
import os
import re
import shutil
import sys
import tempfile
import traceback
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from unicodedata import normalize

from paved import paths, sandbox
from paved.errors import RenderError, one_line

if TYPE_CHECKING:
    from copier._jinja_ext import SandboxedEnvironment as CopierEnvironment
    from copier._template import Template
    from jinja2 import Environment
    from jinja2.sandbox import SandboxedEnvironment

    _Environment = TypeVar("_Environment", bound=Environment)

LAYER_VARIABLE = "paved_layer"
COMPOSED_DIR = ".paved-golden-path"
COPIER_FILES = ("copier.yml", "copier.yaml")


@dataclass(frozen=True)
class Origin:
    """Where a template version comes from, told to copier as it would know it had it
    cloned the template itself: `_copier_answers._src_path` and `._commit`,
    `_copier_conf.vcs_ref` and `.vcs_ref_hash`, and the version migrations compare."""

    src_path: str  # the source as given (a local path: absolute)
    commit: str | None = None  # `git describe --tags --always` of the version
    commit_hash: str | None = None
    ref: str | None = None  # the version asked for (`--version`), None for the latest
    version: str | None = None  # PEP 440, for `_migrations`


@dataclass(frozen=True)
class Render:
    """How one render runs: where the template comes from, whether it may run code,
    and where `_external_data` files are read (the project, during an update)."""

    origin: Origin | None = None
    trust: bool = False
    operation: Literal["copy", "update"] = "copy"  # `_copier_operation`
    data_root: Path | None = None  # default: the destination, as copier does


@dataclass(frozen=True)
class Rendered:
    """What a render leaves for an update to know: the template's `_exclude` and
    `_skip_if_exists` patterns as rendered (gitignore style, relative to the project)."""

    exclude: tuple[str, ...] = ()
    skip_if_exists: tuple[str, ...] = ()
    answers_file: str = ".copier-answers.yml"


def render_layers(catalog_root: Path, layer_dirs: Sequence[str], dest: Path,
                  context: Mapping[str, Any], *, trust: bool,
                  how: Render | None = None) -> Rendered:
    """Render the layers (folders of the catalog at `catalog_root`) into `dest`, in one pass.

    The layers are composed into one copier template first: a scratch copy of
    the catalog root (so the shared partials resolve as usual) whose
    `_subdirectory` is the union of the layers' folders. Copier then asks and
    validates its questions once and compiles each template once, so a golden
    path of four layers costs what one template costs. Layers must not write
    the same file; a collision is refused here (and reported by the linter).
    A plain copier template (one layer at the root, `""`) is rendered as it is.
    Extensions load only when `trust` is set; tasks never run here (`run_tasks` runs
    them in the project, once it is in place). `dest`'s name is `_folder_name`.
    """
    how = Render(trust=trust) if how is None else how
    if list(layer_dirs) == [""]:
        return _run_copier(catalog_root, dest, {**context, LAYER_VARIABLE: ""}, how=how,
                           origins={})
    with tempfile.TemporaryDirectory(prefix="paved-compose-") as scratch:
        composed, origins = _compose(catalog_root, layer_dirs, Path(scratch) / "catalog")
        return _run_copier(composed, dest, {**context, LAYER_VARIABLE: COMPOSED_DIR},
                           how=how, origins=origins)


def _compose(catalog_root: Path, layer_dirs: Sequence[str],
             composed: Path) -> tuple[Path, dict[str, str]]:
    """The composed template, and where each of its layer files comes from in the catalog
    (so that an error names `layers/base/README.md.jinja`, not a scratch path)."""
    from paved import yaml

    layer_tops = {Path(layer).parts[0] for layer in layer_dirs}
    composed.mkdir()
    for entry in catalog_root.iterdir():
        if entry.name in layer_tops or entry.name == ".git":
            continue
        if entry.is_dir():
            shutil.copytree(entry, composed / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, composed / entry.name, follow_symlinks=False)
    config_file = next(composed / name for name in COPIER_FILES if (composed / name).is_file())
    config = yaml.load(config_file)
    suffix = str(config.get("_templates_suffix", ".jinja"))
    union = composed / COMPOSED_DIR
    owners: dict[str, str] = {}  # rendered name -> layer
    origins: dict[str, str] = {}  # path in the composed template -> path in the catalog
    for layer in layer_dirs:
        source = catalog_root / layer
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            target = union / relative
            if path.is_dir() and not path.is_symlink():
                target.mkdir(parents=True, exist_ok=True)
                continue
            rendered = str(relative).removesuffix(suffix) if suffix else str(relative)
            if rendered in owners:
                raise RenderError(f"layers {owners[rendered]!r} and {layer!r} both write "
                                  f"{rendered}; a file belongs to one layer")
            owners[rendered] = layer
            origins[f"{COMPOSED_DIR}/{relative}"] = f"{layer}/{relative}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target, follow_symlinks=False)
    if config.get("_subdirectory") != f"{{{{ {LAYER_VARIABLE} }}}}":
        # A catalog's copier.yml normally says `_subdirectory: "{{ paved_layer }}"`, and
        # the render sets paved_layer to the composed folder: no need to rewrite it then.
        config["_subdirectory"] = COMPOSED_DIR
        yaml.dump(config, config_file)
    return composed, origins


def _run_copier(template: Path, dest: Path, data: Mapping[str, Any], *, how: Render,
                origins: Mapping[str, str]) -> Rendered:
    from copier._main import _operation

    token = _operation.set(how.operation)  # `_copier_operation`; run_copy keeps a set one
    try:
        with _copier_errors(template, origins), _worker(template, dest, data, how) as worker:
            object.__setattr__(worker, "paved_checked", True)
            worker.run_copy()
            # As copier renders them (`Worker.match_exclude`, `match_skip`).
            exclude = tuple(line for pattern in worker.all_exclusions
                            for line in re.split(r"\r\n|\r|\n", worker._render_string(
                                pattern, {"_copier_operation": how.operation})))
            skip = tuple(worker._render_string(pattern)
                         for pattern in worker.all_skip_if_exists)
            answers_file = worker.answers_relpath.as_posix()
    finally:
        _operation.reset(token)
    ensure_contained(dest)
    return Rendered(exclude=exclude, skip_if_exists=skip, answers_file=answers_file)


def _worker(template: Path, dest: Path, data: Mapping[str, Any], how: Render) -> Any:
    """copier's Worker for `template`, answering from `data`, never prompting, never
    running tasks, reading no copier settings file of the user's."""
    worker_class = _worker_class()  # imports copier first, without its prompt libraries
    from copier._settings import SettingsModel

    worker = worker_class(src_path=str(template), dst_path=dest, data=dict(data),
                          defaults=True, overwrite=True, quiet=True, unsafe=how.trust,
                          cleanup_on_error=False, skip_tasks=True, settings=SettingsModel(),
                          vcs_ref=how.origin.ref if how.origin else None)
    object.__setattr__(worker, "paved_render", how)
    return worker


@contextlib.contextmanager
def _copier_errors(template: Path, origins: Mapping[str, str]) -> Iterator[None]:
    """copier's and Jinja's errors as one-line `RenderError`s naming the catalog's file."""
    from copier.errors import CopierError, UnsafeTemplateError

    try:
        yield
    except BadAnswer:
        raise
    except UnsafeTemplateError as error:
        # copier's message names the features, then advises copier's own option.
        features = str(error).partition(": ")[2].partition(".")[0] or "code"
        raise RenderError(f"the catalog wants to run code ({features}); "
                          "pass --trust only if you trust this catalog") from error
    except (CopierError, ValueError) as error:
        raise RenderError(f"rendering failed: {_one_line(error, template, origins)}") from error
    except Exception as error:
        # Jinja raises its own errors (TemplateSyntaxError, UndefinedError…) through copier,
        # and a template's own code raises Python's ({{ 1/0 }}, a range past the sandbox's).
        if type(error).__module__.startswith("jinja2") or isinstance(error, TEMPLATE_FAILURES):
            raise RenderError(f"rendering failed: "
                              f"{_one_line(error, template, origins)}") from error
        raise


def refuse_untrusted_code(template: Path, how: Render,
                          from_version: str | None = None) -> None:
    """Refuse, in one line naming `--trust`, a template that would run code (Jinja
    extensions, tasks, migrations from `from_version`) when it is not trusted. copier
    refuses the same features (`Worker._check_unsafe`); paved asks before anything runs,
    questions included, since their defaults may use the extensions."""
    if how.trust:
        return
    worker = _worker(template, template, {}, how)
    with _copier_errors(template, {}):
        config = worker.template
        features = set()
        if config.jinja_extensions:
            features.add("jinja_extensions")
        if config.tasks:
            features.add("tasks")
        if from_version is not None and _migrations(config, from_version):
            features.add("migrations")
    if features:
        raise RenderError(f"the catalog wants to run code ({', '.join(sorted(features))}); "
                          "pass --trust only if you trust this catalog")


def template_environment(template: Path, *, trust: bool) -> SandboxedEnvironment:
    """copier's own Jinja environment for `template`: its `_envops`, and its
    `_jinja_extensions` (loaded: call only when trusted), confined as a render's is."""
    worker = _worker(template, template, {}, Render(trust=trust))
    with _copier_errors(template, {}):
        env: SandboxedEnvironment = worker.jinja_env
    return env


def _migrations(template: Template, from_version: str, stage: str | None = None, *,
                from_commit: str | None = None) -> list[Any]:
    from copier._template import Template as CopierTemplate

    old = CopierTemplate(url=str(template.local_abspath))
    old.__dict__.update(vcs=None, version=_pep440(from_version),
                        commit=from_commit or from_version)
    stages = (stage,) if stage else ("before", "after")
    return [task for name in stages
            for task in template.migration_tasks(name, old)]  # type: ignore[arg-type]


def _pep440(version: str | None) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) if version else None
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Task:
    """A command a template runs in the project (`_tasks`, `_migrations`), rendered."""

    command: str | tuple[str, ...]  # a string runs in a shell, as copier runs it
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return self.command if isinstance(self.command, str) else " ".join(self.command)


def planned_tasks(template: Path, project: Path, data: Mapping[str, Any], how: Render, *,
                  stage: str = "task", from_version: str | None = None,
                  from_commit: str | None = None) -> tuple[Task, ...]:
    """The template's tasks (`stage` "task") or its migrations from `from_version`
    (`stage` "before" or "after") that apply, rendered as copier renders them
    (`Worker._execute_tasks`): same context, same condition, same working directory,
    same extra variables (`_stage`, `_version_from`…, in the environment upper-cased)."""
    from copier._main import _operation
    from copier._tools import cast_to_bool
    from copier._types import Phase

    worker = _worker(template, project, data, how)
    token = _operation.set(how.operation)
    try:
        with _copier_errors(template, {}):
            if stage == "task":
                tasks, phase = worker.template.tasks, Phase.TASKS
            else:
                tasks = _migrations(worker.template, from_version or "", stage,
                                    from_commit=from_commit)
                phase = Phase.MIGRATE
            if not tasks:
                return ()
            with Phase.use(Phase.PROMPT):
                worker._ask()
            planned = []
            with Phase.use(phase):
                for task in tasks:
                    extra = {f"_{key}": value for key, value in task.extra_vars.items()}
                    extra["_copier_operation"] = how.operation
                    if not cast_to_bool(worker._render_value(task.condition, extra)):
                        continue
                    command: str | tuple[str, ...] = (
                        worker._render_string(task.cmd, extra) if isinstance(task.cmd, str)
                        else tuple(worker._render_string(str(part), extra)
                                   for part in task.cmd))
                    cwd = (project / worker._render_string(str(task.working_directory),
                                                           extra)).absolute()
                    planned.append(Task(command, cwd, {key[1:].upper(): str(value)
                                                       for key, value in extra.items()}))
    finally:
        _operation.reset(token)
    return tuple(planned)


def run_tasks(tasks: Sequence[Task]) -> None:
    """Run `tasks` in order; the first that fails stops the rest (`TaskError`).

    Their output is kept off paved's own (a `--json` result stays parseable) and the
    end of it is shown when one fails."""
    import subprocess

    from paved.errors import TaskError

    for number, task in enumerate(tasks, start=1):
        done = subprocess.run(task.command, shell=isinstance(task.command, str),
                              cwd=task.cwd, env={**os.environ, **task.env},
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode:
            said = (done.stderr.strip() or done.stdout.strip()).splitlines()
            raise TaskError(f"task {number} of {len(tasks)} failed (exit {done.returncode}): "
                            f"{task.shown}" + (f": {said[-1].strip()}" if said else ""))


class BadAnswer(ValueError):
    """An answer breaks its question's type, choices or validator.

    `rule` says which; `detail` is what was expected (a type's name, the allowed
    choices) or the validator's message. `questions` words it, quoting `value` only as
    it may (never a secret).
    """

    def __init__(self, rule: Literal["type", "choice", "validator"], value: Any,
                 detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule, self.value, self.detail = rule, value, detail


_EXPECTED = {"str": "text", "bool": "yes or no", "int": "an integer", "float": "a number",
             "json": "JSON", "yaml": "YAML", "path": "a path"}


class Questionnaire:
    """A template's questions as copier asks them: in its order, rendered in its own
    Jinja environment (the template's extensions, envops and `_copier_*` context), with
    copier's types, choices, multiselect, `when`, validators and secrets.

    `questions.resolve_answers` walks it (`pending`) as copier's `Worker._ask` does,
    asking a person where copier would prompt.
    """

    def __init__(self, template: Path, project: Path, context: Mapping[str, Any],
                 given: Mapping[str, Any], last: Mapping[str, Any], how: Render) -> None:
        _worker_class()  # imports copier first, without its prompt libraries
        refuse_untrusted_code(template, how)
        from copier._user_data import AnswersMap

        self._template = template
        self._worker = _worker(template, project, context, how)
        with self._errors():
            # paved's context (`paved_layers`…) stays visible to `when`, defaults and
            # validators, as it is to the render (an optional layer's questions).
            self._worker.answers = AnswersMap(
                init={**context, **given}, last=dict(last),
                metadata=self._worker.template.metadata,
                external=self._worker._external_data())
        self._how = how

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        from copier._main import _operation

        token = _operation.set(self._how.operation if hasattr(self, "_how") else "copy")
        try:
            with _copier_errors(self._template, {}):
                yield
        finally:
            _operation.reset(token)

    @property
    def answers(self) -> Any:
        return self._worker.answers

    @property
    def secrets(self) -> set[str]:
        return set(self._worker.template.secret_questions)

    def pending(self) -> Iterator[PendingQuestion]:
        question_class = _question_class()
        with self._errors():
            names = list(self._worker.template.questions_data.items())
        for name, details in names:
            with self._errors():
                question = question_class(
                    answers=self.answers, context=self._worker._render_context(),
                    jinja_env=self._worker.jinja_env, settings=self._worker.settings,
                    var_name=name, **details)
            yield PendingQuestion(question, self)


@functools.cache
def _question_class() -> type[Any]:
    """copier's `Question`, telling apart what copier words alike: a validator that says
    an answer is bad (`BadAnswer`) and a default, `when` or validator that fails to
    evaluate (`RenderError` naming the expression; copier reports both as a validation
    error, or as a rendering failure)."""
    _worker_class()  # imports copier first, without its prompt libraries
    from copier._jinja_ext import UnsetError
    from copier._user_data import Question
    from copier.errors import UserMessageError
    from jinja2 import TemplateError

    class PavedQuestion(Question):
        def render_value(self, value: Any, extra_answers: dict[str, Any] | None = None) -> Any:
            try:
                return super().render_value(value, extra_answers)
            except UnsetError:
                raise  # copier's way of saying "no default"
            except (TemplateError, UserMessageError, *TEMPLATE_FAILURES) as error:
                raise RenderError(f"cannot evaluate {one_line(repr(value), 80)}: "
                                  f"{_one_line(error)}") from error

        def validate_answer(self, answer: Any) -> None:
            message = str(self.render_value(self.validator, {self.var_name: answer})).strip()
            if message:
                raise BadAnswer("validator", answer, message)

    return PavedQuestion


class PendingQuestion:
    """One copier question, its settings rendered on demand."""

    def __init__(self, question: Any, questionnaire: Questionnaire) -> None:
        self._question = question
        self._questionnaire = questionnaire
        self.name: str = question.var_name

    def applies(self) -> bool:
        with self._questionnaire._errors():
            return bool(self._question.get_when())

    def asks(self) -> bool:
        with self._questionnaire._errors():
            return bool(self._question.get_ask())

    def default(self) -> tuple[bool, Any]:
        """(True, the default) or (False, None) when the question has none."""
        from copier._types import MISSING

        with self._questionnaire._errors():
            value = self._question.get_default()
        return (False, None) if value is MISSING else (True, value)

    def accept(self, raw: Any) -> Any:
        """`raw` parsed to the question's type and checked against its choices and
        validator; `BadAnswer` saying which rule it broke."""
        with self._questionnaire._errors():
            question = self._question
            try:
                value = question.parse_answer(raw)
            except Exception as error:  # copier raises several kinds; each is a bad answer
                if not str(error).startswith("Invalid choice"):
                    expected = _EXPECTED.get(question.get_type_name(), "a valid answer")
                    raise BadAnswer("type", raw, expected) from error
                with contextlib.suppress(Exception):
                    raw = question.cast_answer(raw)
                allowed = ", ".join(str(choice.value) for choice in question._formatted_choices
                                    if not choice.disabled)
                raise BadAnswer("choice", raw, allowed) from error
            question.validate_answer(value)  # BadAnswer
        return value

    @property
    def secret(self) -> bool:
        return bool(self._question.secret)

    def last_is_valid(self) -> bool:
        last = self._questionnaire.answers.last
        if self.name not in last:
            return False
        try:
            self.accept(last[self.name])
        except (BadAnswer, RenderError):
            del last[self.name]
            return False
        return True

    def keep(self, value: Any) -> None:
        self._questionnaire.answers.user[self.name] = value

    def hide(self) -> None:
        self._questionnaire.answers.hide(self.name)
        self._questionnaire.answers.last.pop(self.name, None)

    def description(self) -> dict[str, Any]:
        """What a person is shown: help, type, choices as (label, value), multiselect."""
        with self._questionnaire._errors():
            question = self._question
            choices = [(choice.title, choice.value) for choice in question._formatted_choices
                       if not choice.disabled]
            return {"help": question.render_value(question.help) if question.help else "",
                    "type": question.get_type_name(), "choices": choices,
                    "multiselect": bool(question.multiselect), "secret": bool(question.secret)}


#: What a template's own code raises when it goes wrong (besides Jinja's errors): its
#: author's mistake or a hostile template, reported as a render error, not a crash.
TEMPLATE_FAILURES = (ArithmeticError, LookupError, TypeError, ValueError, AttributeError,
                     RecursionError, MemoryError)


def import_copier() -> None:
    """Import copier now rather than at the first render (see `_worker_class`)."""
    _worker_class()


@functools.cache
def _worker_class() -> type[Any]:
    """copier's `Worker` (what `copier.run_copy` drives), with costs taken out that buy
    paved nothing. What gets rendered, and how, stays copier's (docs/benchmarks.md).

    - One git process per file. After writing each file, copier runs `git config
      core.fileMode` in the destination so that it can fix the executable bit in
      that repo's index (copier `_main.Worker._sync_git_index_executable_bit`,
      added by copier-org/copier#2605 for updates of tracked files). Its own
      docstring says it does nothing for a file git does not track yet, and paved
      always renders into a fresh directory: in profiles it was one process per
      rendered file, a third of a render.
    - Compiling the same Jinja string again and again (`compile_once`).
    - Rendering strings that hold no Jinja (`is_plain_text`): most path parts and
      exclude patterns, each rendered with a fresh copy of the whole render context.
    - Importing the prompt libraries, and asking whether the template is a git
      repository (`_paved_template`).
    """
    with _prompt_libraries_deferred():
        import copier._user_data
        from copier._main import Worker

    user_data: Any = copier._user_data
    if isinstance(user_data.Choice, types.FunctionType):  # the deferred stand-in
        user_data.Choice = _Choice

    class PavedWorker(Worker):
        def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
            pass

        @functools.cached_property
        def jinja_env(self) -> CopierEnvironment:
            # `unsafe` is paved's trust: an untrusted catalog's templates cannot read the host.
            return compile_once(sandbox.confine(super().jinja_env, trust=self.unsafe))

        # Every path copier writes goes through one of these three: none may be in .git.
        def _render_file(self, src_relpath: Path, dst_relpath: Path,
                         extra_context: dict[str, Any] | None = None) -> None:
            sandbox.refuse_git_path(dst_relpath)
            super()._render_file(src_relpath, dst_relpath, extra_context=extra_context)

        def _render_folder(self, dst_relpath: Path) -> None:
            sandbox.refuse_git_path(dst_relpath)
            super()._render_folder(dst_relpath)

        def _render_symlink(self, src_relpath: Path, dst_relpath: Path) -> None:
            target = os.readlink(self.template.local_abspath / src_relpath)
            sandbox.refuse_git_path(dst_relpath, target=target)
            super()._render_symlink(src_relpath, dst_relpath)

        @functools.cached_property
        def template(self) -> Template:
            how: Render = getattr(self, "paved_render", Render())
            return _paved_template(super().template, how.origin,
                                   checked=getattr(self, "paved_checked", False))

        def _external_data(self) -> Any:
            how: Render = getattr(self, "paved_render", Render())
            if how.data_root is None:
                return super()._external_data()
            return _external_data(self, how.data_root)

        def _render_string(self, string: str,
                           extra_context: dict[str, Any] | None = None) -> str:
            if is_plain_text(self.jinja_env, string):
                return string
            return str(super()._render_string(string, extra_context=extra_context))

    return PavedWorker


def _paved_template(template: Template, origin: Origin | None, *, checked: bool) -> Template:
    """copier's view of a template that paved renders, told what paved knows.

    - It is a plain directory: a cache tree, a snapshot or a composition that paved
      made, never a git repository (catalog.py turns those into trees first). Copier
      would otherwise run three git processes to find out (`Template.vcs`).
    - Where it comes from (`origin`): copier reports the source as given and the
      version's commit to templates (`_copier_answers`, `_copier_conf`) and records
      them in the answers file, so that `copier update` works on paved's projects.
    - When it renders (`checked`), every answer was checked against its question's
      choices when it was given (`questions.resolve_answers`, before anything
      renders). Copier checks again through `Choice`s, so copier gets the questions
      without the choices paved checks the same way: plain lists and mappings of
      constant values. Other forms (templated choices, disabled
      choices, multiselect) keep theirs, and copier checks them as ever.
    """
    cached = template.__dict__  # what copier's cached properties hold; vcs first, as
    cached["vcs"] = None        # reading the questions reads the template's files
    cached["_raw_config"] = _raw_config(template)
    if origin is not None:
        from packaging.version import InvalidVersion, Version

        template.local_abspath  # noqa: B018 (computed from the url, before it is replaced)
        template.url = origin.src_path
        cached.update(commit=origin.commit, commit_hash=origin.commit_hash)
        try:
            cached["version"] = Version(origin.version) if origin.version else None
        except InvalidVersion:
            cached["version"] = None
    if checked:
        cached["questions_data"] = {
            name: {key: value for key, value in spec.items()
                   if key != "choices" or not _checked_by_paved(spec)}
            for name, spec in template.questions_data.items()
        }
    return template


#: copier.yml as copier read it, per template folder and state of its config files.
_RAW_CONFIGS: dict[tuple[str, tuple[tuple[str, int, int], ...]], Any] = {}


def _raw_config(template: Template) -> Any:
    """`Template._raw_config` (copier.yml with its `!include`s), parsed once per process:
    paved hands copier one template several times (questions, render, tasks), each
    time a new `Template` that would parse it again. A copy each time, as copier's
    own is each Template's to change."""
    root = Path(template.local_abspath)
    stats = tuple((path.name, stat.st_mtime_ns, stat.st_size)
                  for path in sorted(root.glob("copier.*")) for stat in [path.stat()])
    key = (str(root), stats)
    if key not in _RAW_CONFIGS:
        _RAW_CONFIGS[key] = type(template)._raw_config.func(template)  # type: ignore[attr-defined]
    return copy.deepcopy(_RAW_CONFIGS[key])


def _external_data(worker: Any, root: Path) -> Any:
    """copier's `_external_data`, read from `root` (the project) instead of the scratch
    directory an update renders into: what `copier update` reads, as it renders into the
    project itself (copier `Worker._external_data`)."""
    from copier._types import LazyDict, Phase
    from copier._user_data import load_answersfile_data
    from copier.errors import ForbiddenPathError

    def load(path: str) -> Any:
        with Phase.use(Phase.UNDEFINED):
            rendered = worker._render_string(path)
        if not (root / rendered).resolve().is_relative_to(root.resolve()) and not worker.unsafe:
            raise ForbiddenPathError(path=Path(rendered))
        return load_answersfile_data(root, rendered, warn_on_missing=True)

    return LazyDict({name: functools.partial(load, path)
                     for name, path in worker.template.external_data.items()})


def _checked_by_paved(spec: Mapping[str, Any]) -> bool:
    """Whether paved's choice check (`questions.check`) is the same as copier's."""
    choices = spec.get("choices")
    if spec.get("multiselect") or not isinstance(choices, list | dict):
        return False
    values = choices.values() if isinstance(choices, dict) else choices
    return all(value is None or isinstance(value, bool | int | float)
               or (isinstance(value, str) and "{" not in value) for value in values)


class _Choice:
    """questionary's `Choice` as copier uses it to check answers (`Question.parse_answer`):
    a title, a value (the title when None), why it is disabled, whether it is checked.
    paved never lets copier prompt, so the real class (and questionary) is not needed."""

    def __init__(self, title: Any, value: Any = None, disabled: str | None = None,
                 checked: bool | None = False, shortcut_key: Any = True,
                 description: str | None = None) -> None:
        self.title, self.disabled, self.checked = title, disabled, bool(checked)
        self.description = description
        self.value = title if value is None else value


#: The interactive-prompt libraries copier imports at the top of its modules, with
#: their parents. paved asks its questions itself and never lets copier prompt.
_PROMPT_MODULES = ("questionary", "questionary.prompts", "questionary.prompts.common",
                   "prompt_toolkit", "prompt_toolkit.lexers",
                   "pygments", "pygments.lexers", "pygments.lexers.data")


class _Deferred(types.ModuleType):
    """Stands in for a prompt library while copier is imported: each name copier takes
    from it becomes a function that imports the real library when first called."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        module = self.__name__

        def deferred(*args: Any, **kwargs: Any) -> Any:
            return getattr(importlib.import_module(module), name)(*args, **kwargs)

        deferred.__name__ = deferred.__qualname__ = name
        return deferred


@contextlib.contextmanager
def _prompt_libraries_deferred() -> Iterator[None]:
    """Import copier without its prompt libraries (questionary, prompt_toolkit with
    asyncio, pygments): ~60 ms of every render's start-up for code that runs only
    when copier prompts or checks a choice, which it never does under paved
    (`_paved_template`).

    The stand-ins live in `sys.modules` only during the import; afterwards an import
    of those libraries anywhere gets the real ones, and so does copier the first time
    it calls one of their names. If one is already loaded, copier gets it as it is.
    """
    if any(name in sys.modules for name in _PROMPT_MODULES):
        yield
        return
    for name in _PROMPT_MODULES:
        sys.modules[name] = _Deferred(name)
    try:
        yield
    finally:
        for name in _PROMPT_MODULES:
            if isinstance(sys.modules.get(name), _Deferred):
                del sys.modules[name]


def compile_once(env: _Environment) -> _Environment:
    """Make `env` compile each template string once.

    Jinja compiles a string anew on every `from_string`, and copier renders the
    same strings hundreds of times per render: the answers file's name for every
    path, every path part, each question's settings (508 compilations of 108
    distinct strings for the python-service golden path). Compiled code depends
    only on the source and the environment, so it is kept per environment. A
    string served from memory still goes through the extensions' `preprocess`,
    as a compilation would: copier's `yield` tag resets its state there.
    Templates loaded by name keep Jinja's own cache.
    """
    compiled: dict[str, types.CodeType] = {}
    compile_source = env.compile

    def compile(source: Any, name: str | None = None, filename: str | None = None,
                raw: bool = False, defer_init: bool = False) -> Any:
        if raw:
            return compile_source(source, name, filename, raw=True, defer_init=defer_init)
        if not isinstance(source, str) or name or filename or defer_init:
            return compile_source(source, name, filename, defer_init=defer_init)
        code = compiled.get(source)
        if code is None:
            code = compiled[source] = compile_source(source)
        else:
            env.preprocess(source)
        return code

    env.compile = compile  # type: ignore[method-assign]
    return env


def is_plain_text(env: Environment, source: str) -> bool:
    """Whether `source` renders to itself in `env`: it holds none of the environment's
    markup, no line break (Jinja may rewrite those) and no extension changes it before
    parsing. The extensions' `preprocess` runs as it would for a render (copier's
    `yield` tag resets its state there)."""
    if "\n" in source or "\r" in source:
        return False
    markers = (env.block_start_string, env.variable_start_string, env.comment_start_string,
               env.line_statement_prefix, env.line_comment_prefix)
    if any(marker and marker in source for marker in markers):
        return False
    return bool(env.preprocess(source) == source)


def ensure_contained(root: Path) -> None:
    """Refuse a render that holds a symlink resolving outside `root`."""
    top = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if path.is_symlink() and not path.resolve().is_relative_to(top):
                relative = path.relative_to(root)
                raise RenderError(f"the template made {relative} a link to "
                                  f"{os.readlink(path)}, outside the project")


def _one_line(error: BaseException, template: Path | None = None,
              origins: Mapping[str, str] | None = None) -> str:
    """The error in one line, led by `file:line: ` (relative to the catalog) when known.

    Jinja's own errors carry their place; a Python error raised by a template's code
    (`{{ 1/0 }}`) is found in the traceback, whose frames Jinja points at template lines.
    """
    text = one_line(str(error), 300)
    if not type(error).__module__.startswith(("jinja2", "copier")):
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    location = ""
    filename, lineno = getattr(error, "filename", None), getattr(error, "lineno", None)
    if not (filename and lineno) and template is not None:
        frames = [frame for frame in traceback.extract_tb(error.__traceback__)
                  if Path(frame.filename).is_relative_to(template)]
        if frames:
            filename, lineno = frames[-1].filename, frames[-1].lineno
    if filename and lineno:
        if template is not None and Path(filename).is_relative_to(template):
            filename = Path(filename).relative_to(template).as_posix()
            filename = (origins or {}).get(filename, filename)
        location = f"{filename}:{lineno}: "
    return f"{location}{text or type(error).__name__}"


def environment(catalog_root: Path, *, trust: bool = False) -> SandboxedEnvironment:
    """A Jinja environment that evaluates questions as copier does.

    Same sandbox, same default filters (copier's Ansible filters), same search
    path (the catalog root, so validators may import shared partials). Confined
    as the render's is (`sandbox.confine`): without `trust`, nothing that reads
    the host.
    """
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return sandbox.confine(SandboxedEnvironment(
        loader=FileSystemLoader(str(catalog_root)),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    ), trust=trust)


def render_string(env: SandboxedEnvironment, template: str, context: Mapping[str, Any]) -> str:
    """Render one Jinja string (a default, a validator, a `when`) with `context`."""
    from jinja2 import TemplateError

    try:
        return env.from_string(template).render(**context)
    except (TemplateError, *TEMPLATE_FAILURES) as error:
        raise RenderError(f"cannot evaluate {one_line(repr(template), 80)}: "
                          f"{_one_line(error)}") from error


# Static and strict checks of templates, for `paved template lint`. Kept here because
# this module is the one that knows Jinja and copier's rules for templated paths.

#: Variables copier puts in every render context, beside the answers.
COPIER_CONTEXT = ("_copier_conf", "_copier_answers", "_copier_python", "_copier_phase",
                  "_copier_operation", "_external_data", "_folder_name")
_PARTIAL_NODES = ("Include", "Import", "FromImport")


@dataclass(frozen=True)
class TemplateFacts:
    """What one Jinja source needs from outside: context variables and other templates."""

    variables: Mapping[str, int]  # name read but never set in the template -> first line
    partials: tuple[tuple[str, int], ...] = ()  # (template name, line); constant names only
    dynamic_partials: tuple[int, ...] = ()  # lines of includes whose name is computed
    syntax_error: tuple[int, str] | None = None  # (line, message)


@dataclass(frozen=True)
class StrictRender:
    """The outcome of rendering with every variable required (`StrictUndefined`)."""

    text: str | None
    error: str = ""
    line: int | None = None


def inspect_template(env: SandboxedEnvironment, source: str, *,
                     filename: str = "<string>") -> TemplateFacts:
    """Parse `source` and list what it reads from its context and which templates it uses."""
    from jinja2 import TemplateSyntaxError, meta, nodes

    try:
        tree = env.parse(source, filename=filename)
    except TemplateSyntaxError as error:
        return TemplateFacts(variables={}, syntax_error=(error.lineno, error.message or ""))
    undeclared = meta.find_undeclared_variables(tree) - set(env.globals)
    lines: dict[str, int] = {}
    for name_node in tree.find_all(nodes.Name):
        if name_node.name in undeclared and name_node.ctx == "load":
            lines.setdefault(name_node.name, name_node.lineno)
    partials, dynamic = [], []
    for node in tree.find_all(tuple(getattr(nodes, kind) for kind in _PARTIAL_NODES)):
        target = node.template
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            partials.append((target.value, node.lineno))
        else:
            dynamic.append(node.lineno)
    return TemplateFacts(variables=dict(sorted(lines.items())), partials=tuple(partials),
                         dynamic_partials=tuple(dynamic))


def exported_names(env: SandboxedEnvironment, source: str) -> set[str] | None:
    """The names a partial exports to `{% import %}`: its top-level `set`s and macros.
    None when it does not parse."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        tree = env.parse(source)
    except TemplateSyntaxError:
        return None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, nodes.Macro):
            names.add(node.name)
        elif isinstance(node, nodes.Assign):
            targets = [node.target, *node.target.find_all(nodes.Name)]
            names.update(target.name for target in targets if isinstance(target, nodes.Name))
    return names


def strict_environment(catalog_root: Path) -> SandboxedEnvironment:
    """The question environment, plus copier's `pathjoin` global, for strict renders."""
    env = environment(catalog_root)
    env.globals["pathjoin"] = lambda *parts: str(PurePosixPath(*parts))
    return env


def render_strict(env: SandboxedEnvironment, source: str, context: Mapping[str, Any], *,
                  filename: str) -> StrictRender:
    """Render `source` with every variable required; on failure say where and why."""
    from jinja2 import TemplateError

    try:
        template = env.from_string(source)
        template.filename = filename
        return StrictRender(text=template.render(**context))
    except TemplateError as error:
        return StrictRender(text=None, error=" ".join(str(error).split()),
                            line=_template_line(error, filename))
    except TEMPLATE_FAILURES as error:
        return StrictRender(text=None, error=f"{type(error).__name__}: {one_line(str(error))}",
                            line=_template_line(error, filename))


def _template_line(error: BaseException, filename: str) -> int | None:
    line = getattr(error, "lineno", None)
    if isinstance(line, int) and getattr(error, "filename", None) in (filename, None):
        return line
    # Jinja rewrites tracebacks so that frames point at template lines.
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename == filename]
    return frames[-1].lineno if frames else None


def exclusion_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """Match relative paths against copier `_exclude` patterns (gitignore style, NFD as copier)."""
    return paths.matcher(normalize("NFD", p) for p in patterns)
