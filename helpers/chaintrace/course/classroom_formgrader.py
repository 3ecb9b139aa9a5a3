"""The marker's rubric inside Formgrader: criteria and model answer under each written answer.

nbgrader's Formgrader shows a trainee's written answer with a score box and nothing to mark it
against. This Jupyter server extension renders Formgrader's manual-grading page with one more
panel under each hand-graded answer: the criteria with their points (``solutions/<A>/rubric.toml``)
and the model answer (the source notebook's own cell), both read from the instructor's course
folder when the page is served. Nothing is added to any notebook, so neither a release nor a
trainee's feedback can carry it (nbgrader renders feedback with its own template).

A submission made in another language than English (``metadata.chaintrace.lang`` of the
notebook, as the translated editions set it) gets its rubric in that language, the English
criteria folded below for a marker who reads both (``<lang>/rubrics/<A>.po``; a criterion
without a current translation is shown in English).

It changes only the page template and its data: Formgrader's scoring, comments and navigation
are nbgrader's. ``chaintrace class setup`` turns it on in the course environment (`enable_rubrics`),
and the JupyterHub deployment's instructor settings turn it on for instructors.

>>> panel = rubric_panel("q0_4_tests_written", "00-orientation")
>>> "Says what visible tests check" in panel and "Model answer" in panel
True
>>> "Пояснює, що перевіряють видимі тести" in rubric_panel("q0_4_tests_written", "00-orientation", lang="uk")
True
>>> rubric_panel("not_a_written_part", "00-orientation")
''
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from jinja2 import DictLoader

from .. import classroom
from ..messages import translate
from ..paths import REPO_ROOT

TEMPLATE_NAME = "chaintrace_formgrade.html.j2"
# nbgrader's own page ("formgrade" template) with a rubric panel after each hand-graded answer.
# `super()` keeps nbgrader's rendering of the cell (its score box, comment box and ids), so
# Formgrader's scripts work unchanged.
TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block markdowncell scoped %}
{{ super() }}
{%- if cell.metadata.nbgrader and cell.metadata.nbgrader.solution
      and cell.metadata.nbgrader.grade -%}
{{ cell.metadata.nbgrader.grade_id | chaintrace_rubric(resources.assignment_id, nb.metadata) }}
{%- endif -%}
{% endblock markdowncell %}
"""
STYLE = (
    "margin:-0.5em 0 1.5em 0;padding:.6em 1em;border-left:4px solid #4a4;background:#eef6ee;"
    "font-size:90%"
)


def _criteria(part) -> str:
    return "".join(
        f"<li><b>{points:g}</b>: {html.escape(text)}</li>" for points, text in part.criteria
    )


def rubric_panel(
    grade_id: str, assignment: str, course_root: Path = REPO_ROOT, lang: str = "en"
) -> str:
    """HTML for the marker: the criteria and model answer of one written part ('' if none),
    in the submission's language ``lang``; in another language than English, the English
    criteria and model answer follow, folded."""
    lang = lang if lang in classroom.LANGUAGES else "en"
    try:
        parts = {p.grade_id: p for p in classroom.written_parts(assignment, course_root, lang)}
    except FileNotFoundError:  # a course without that source notebook: nothing to show
        return ""
    part = parts.get(grade_id)
    if part is None:
        return ""

    def say(text: str) -> str:
        return html.escape(translate(text, lang))

    rows = _criteria(part) or f"<li><em>{say('no criteria in rubric.toml yet')}</em></li>"
    english = ""
    if lang != "en":
        (original,) = [
            p for p in classroom.written_parts(assignment, course_root) if p.grade_id == grade_id
        ]
        english = (
            f"<details lang='en'><summary>{say('The rubric in English')}</summary>"
            f"<ul>{_criteria(original)}</ul>{classroom._markdown(original.model_answer)}</details>"
        )
    heading = say(f"Rubric ({part.points:g} points; for the marker, never released)")
    return (
        f"<div class='chaintrace-rubric' lang='{lang}' style='{STYLE}'>"
        f"<h4>{heading}</h4><ul>{rows}</ul>"
        f"<details><summary>{say('Model answer')}</summary>"
        f"{classroom._markdown(part.model_answer)}</details>{english}</div>"
    )


def rubric_exporter(formgrader):
    """An HTML exporter for Formgrader's manual-grading page that adds the rubric panels."""
    from nbconvert.exporters import HTMLExporter

    def rubric(grade_id: str, assignment: str, metadata=None) -> str:
        # Formgrader can be pointed at another course folder while running: ask it each time.
        lang = (metadata or {}).get("chaintrace", {}).get("lang", "en")
        return rubric_panel(grade_id, assignment, Path(formgrader.coursedir.root), lang)

    exporter = HTMLExporter(config=formgrader.config)
    exporter.extra_loaders = [DictLoader({TEMPLATE_NAME: TEMPLATE})]
    exporter.template_file = TEMPLATE_NAME
    exporter.register_filter("chaintrace_rubric", rubric)
    return exporter


def _install(serverapp) -> None:
    settings = serverapp.web_app.settings
    formgrader = settings.get("nbgrader_formgrader")
    if formgrader is None:
        serverapp.log.warning(
            "chaintrace.course.classroom_formgrader: Formgrader is not enabled in this server, so there "
            "is no marking page to add rubrics to"
        )
        return
    settings["nbgrader_exporter"] = rubric_exporter(formgrader)
    serverapp.log.info("chaintrace: Formgrader shows the rubrics of %s", formgrader.coursedir.root)


def enable_rubrics(config_dir: Path) -> Path:
    """Turn the extension on for every JupyterLab reading ``config_dir`` (a Jupyter config
    folder, e.g. the environment's ``etc/jupyter``); returns the file written.

    >>> import json, tempfile
    >>> written = enable_rubrics(Path(tempfile.mkdtemp()))
    >>> json.loads(written.read_text())["ServerApp"]["jpserver_extensions"]
    {'chaintrace.course.classroom_formgrader': True}
    """
    target = Path(config_dir) / "jupyter_server_config.d" / "chaintrace-formgrader.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    setting = {"ServerApp": {"jpserver_extensions": {__name__: True}}}
    target.write_text(json.dumps(setting, indent=2) + "\n", encoding="utf-8")
    return target


def _load_jupyter_server_extension(serverapp) -> None:
    """Nothing to do yet: extensions load in name order, so Formgrader may not exist."""


async def _start_jupyter_server_extension(serverapp) -> None:
    """Once every extension is loaded, before the first request: swap the page's exporter."""
    _install(serverapp)


def _jupyter_server_extension_points():
    return [{"module": "chaintrace.course.classroom_formgrader"}]
