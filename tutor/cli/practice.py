"""`tutor quiz`, `tutor grade`, `tutor interview`, `tutor progress`: practice mode (issue 5).

Heavy libraries are imported inside the commands only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tutor.cli.common import echo_json, load_settings
from tutor.core.errors import InputError, TutorError

if TYPE_CHECKING:  # pragma: no cover
    from tutor.grading.schema import Grade

USER = typer.Option("local", "--user", help="Whose attempts and schedule to use.")
RECORD_AS = typer.Option(None, "--user", help="Also keep each grade as this user's attempt (progress, review "
                         "schedule), like a quiz answer. Without it nothing is recorded.")


def _read_answer(prompt: str = "Your answer (finish with an empty line):") -> str:
    typer.secho(prompt, dim=True)
    lines: list[str] = []
    while True:
        try:
            line = input()
        except EOFError:
            break
        if not line.strip():
            break
        lines.append(line)
    return "\n".join(lines)


def _show(grade: Grade) -> None:
    typer.echo(grade.feedback)
    if grade.model_answer:
        typer.secho("Model answer:", bold=True)
        typer.echo(grade.model_answer)
        for c in grade.citations:
            typer.secho(f"  [{c.n}] {c.doc} — {c.section}", fg=typer.colors.CYAN)
    if grade.follow_up:
        typer.secho(f"Follow-up: {grade.follow_up}", fg=typer.colors.YELLOW)


def _follow_ups(grader: Any, quiz: Any, item: Any, grade: Grade) -> None:
    """After a grade: answer the drill-down, ask about the grade ('? why ...'), or move on."""
    while True:
        typer.secho("[a] answer the follow-up  [?text] ask about the grade  [enter] next question", dim=True)
        choice = input("> ").strip()
        if choice.startswith("?"):
            typer.echo(grader.explain(grade, choice[1:].strip() or "Why this score?"))
        elif choice == "a":
            focused = item.model_copy(update={"key_points": [g.point for g in grade.gaps[:1]] or item.key_points})
            from tutor.practice.quiz import submit_answer

            grade = submit_answer(quiz.attempts, quiz.scheduler, grader, item, _read_answer(), user=quiz.user,
                                  question=grade.follow_up, rubric=focused)
            _show(grade)
        else:
            return


def quiz_cmd(topic: str = typer.Option(None, "--topic", help="Only this topic."),
             level: str = typer.Option(None, "--level", help="basic | medium | killer."),
             doc: str = typer.Option(None, "--doc", help="Only questions from this document."),
             weakest: bool = typer.Option(False, "--weakest", help="Due reviews and weakest topics first."),
             user: str = USER) -> None:
    """Interactive quiz: a question, your answer, a rubric grade, follow-ups; Ctrl-D to stop."""
    from tutor.practice.quiz import Quiz
    from tutor.services import Services

    with Services(load_settings()) as services:
        grader = services.grader()
        quiz = Quiz(services.bank, services.attempts, user=user)
        while True:
            try:
                item = quiz.next(topic=topic, level=level, doc=doc, weakest=weakest)
            except TutorError as err:
                typer.echo(err.user_message())
                return
            typer.secho(f"\n[{item.topic} · {item.level or '-'}] {item.question}", bold=True)
            answer = _read_answer()
            if not answer.strip() and not typer.confirm("Empty answer scores 0. Submit anyway?", default=False):
                return
            grade = quiz.submit(item, answer, grader)
            _show(grade)
            _follow_ups(grader, quiz, item, grade)


def _grade_one(grader: Any, bank: Any, question: str, answer: str, item_id: str | None) -> Grade:
    item = bank.get(item_id) if item_id and bank is not None else None
    return grader.grade(question or (item.question if item else ""), answer, item=item)  # type: ignore[no-any-return]


def _record(services: Any, user: str | None, grade: Grade, answer: str) -> str:
    """Keep the grade as ``user``'s attempt when asked; returns a note for the reader ('' if not asked)."""
    if not user:
        return ""
    if not grade.question_id:
        return "not recorded: the question is not in the question bank"
    from tutor.practice.quiz import record_grade
    from tutor.practice.scheduler import Scheduler

    item = services.bank.get(grade.question_id)
    record_grade(services.attempts, Scheduler(services.attempts), item, answer, grade, user=user)
    return f"recorded as {user}'s attempt at {item.id}"


def grade_cmd(question: str = typer.Option("", "--question", "-q", help="The interview question."),
              answer: str = typer.Option("", "--answer", "-a", help="The candidate's answer."),
              item_id: str = typer.Option(None, "--id", help="Bank question id (instead of matching the text)."),
              batch: Path = typer.Option(None, "--batch", help='JSONL lines {"id","question","answer"}.'),
              as_json: bool = typer.Option(False, "--json", help="JSON output (one line per input)."),
              user: str = RECORD_AS) -> None:
    """Grade an answer against the rubric (0-10), or a whole JSONL file with --batch."""
    from tutor.services import Services

    if batch is None and not (question.strip() or item_id):
        raise InputError("Give --question (or --id) and --answer, or --batch FILE.jsonl.")
    with Services(load_settings()) as services:
        grader = services.grader()
        bank = grader.bank
        if batch is None:
            grade = _grade_one(grader, bank, question, answer, item_id)
            note = _record(services, user, grade, answer)
            if as_json:
                echo_json(grade.model_dump(mode="json"))
            else:
                _show(grade)
            if note:
                typer.echo(note, err=True)
            return
        for n, line in enumerate(batch.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row: dict[str, Any] = {}
            try:
                row = json.loads(line)
                g = _grade_one(grader, bank, str(row.get("question", "")), str(row.get("answer", "")),
                               row.get("question_id"))
                out = g.batch_line(str(row.get("id", n)))
                if user:
                    out["recorded"] = _record(services, user, g, str(row.get("answer", "")))
            except json.JSONDecodeError as err:
                out = {"id": n, "error": f"Line {n} of {batch} is not valid JSON ({err.msg})."}
            except TutorError as err:
                out = {"id": row.get("id", n), "error": err.user_message()}
            if as_json:
                typer.echo(json.dumps(out, ensure_ascii=False))
            else:
                typer.echo(f"{out['id']}: {out.get('score', 'error')} {out.get('error', '')}")


def interview_cmd(topics: list[str] = typer.Option(None, "--topics", help="Topics (repeat the option)."),
                  n: int = typer.Option(5, "--n", help="Number of main questions."),
                  as_json: bool = typer.Option(False, "--json", help="Print the final report as JSON."),
                  user: str = USER) -> None:
    """Mock interview: adaptive level, drill-downs, and a final report."""
    from tutor.practice.interview import MockInterview
    from tutor.services import Services

    with Services(load_settings()) as services:
        session = MockInterview(services.grader(), services.bank, services.attempts,
                                topics=list(topics or []), n=n, user=user)
        while session.current is not None:
            q = session.current
            tag = "drill-down" if q.drill_down else f"{q.item.topic} · {q.level or '-'}"
            typer.secho(f"\n[{tag}] {q.text}", bold=True)
            turn = session.answer(_read_answer())
            typer.echo(turn.grade.feedback)
        report = session.report()
        if as_json:
            echo_json(report)
            return
        typer.secho(f"\nOverall: {report.overall:g}/10", bold=True)
        for t in report.per_topic:
            typer.echo(f"  {t.topic}: {t.mean:g}/10 ({t.answers} answers)")
        typer.secho("Strengths:", bold=True)
        for s in report.strengths:
            typer.echo(f"  + {s}")
        typer.secho("Gaps — re-read:", bold=True)
        for g in report.gaps:
            refs = "; ".join(f"{c.doc} — {c.section}" for c in g.citations)
            typer.echo(f"  - [{g.topic}] {g.point}" + (f"  ({refs})" if refs else ""))
        typer.secho("Coming back:", bold=True)
        for r in report.reviews:
            typer.echo(f"  {r.due:%Y-%m-%d %H:%M} UTC  {r.question}")


def progress_cmd(as_json: bool = typer.Option(False, "--json", help="One JSON document."),
                 csv_path: Path = typer.Option(None, "--csv", help="Export all attempts to this CSV file."),
                 user: str = USER) -> None:
    """Attempts, per-topic mastery and scheduled reviews."""
    from tutor.practice.attempts import AttemptStore

    store = AttemptStore(load_settings().sqlite_path)
    try:
        if csv_path is not None:
            typer.echo(f"{store.export_csv(user, csv_path)} attempts -> {csv_path}", err=True)
        prog = store.progress(user)
    finally:
        store.close()
    if as_json:
        echo_json(prog)
        return
    mean = "-" if prog.mean_score is None else f"{prog.mean_score:g}"
    typer.echo(f"{prog.user}: {prog.attempts} attempts ({prog.graded} graded, {prog.pending} pending), "
               f"mean {mean}/10")
    for t in prog.topics:
        typer.echo(f"  {t.topic:28} mastery {t.mastery:.2f}  mean {t.mean_score:g}  ({t.attempts} attempts)")
    for d in prog.due[:10]:
        typer.echo(f"  due {d['due'][:16]}  {d['question_id']}  {d['topic']}")


def register(app: typer.Typer) -> None:
    app.command("quiz")(quiz_cmd)
    app.command("grade")(grade_cmd)
    app.command("interview")(interview_cmd)
    app.command("progress")(progress_cmd)
