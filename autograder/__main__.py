"""The instructor's command line: `python -m autograder <step>`.

    release            generate notebooks/ from solutions/ (every assignment, or those named)
    release --check    fail if any committed release differs from what its source generates
    release --publish DIR   the student distribution (releases, shared/, data/; no solutions) into DIR, tagged
    collect SRC        take an LMS download (a folder or zip) into COURSE/submitted/<student>/<assignment>/
    grade A            autograde every collected submission of A, in parallel, resuming where stopped; writes
                       COURSE/autograded/ for formgrader's manual grading; --scheduler: on a Dask cluster
    rubric A           the rubrics and model answers of A's written parts
    by-question A Q    grade written question Q for all students on one page (rubric items as buttons)
    feedback A         one HTML report per student from the gradebook (no hidden test source, ever)
    export A           grades CSV from the gradebook, item analysis (table and figure), --lms: the LMS's import file
    demo               the whole loop on bundled sample submissions of a1 (the course's main grading job)

COURSE is --course (default: ./course), a folder outside the repository's tracked files. The LMSs are those
registered in autograder/lms/systems.py (Canvas, Moodle).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cells import RELEASE, SOURCE, release_notebook, source_notebook
from .course import REPO, CourseFolder, assignments
from .grading import limits
from .lms.systems import REGISTRY, either


def cmd_release(args) -> int:
    from .release.generate import generate_release, stale
    names = args.assignments or assignments()
    unknown = [n for n in names if n not in assignments()]
    if unknown:
        print(f"No source notebook for {unknown}: expected {SOURCE}/<name>/<name>.ipynb. "
              f"Assignments: {', '.join(assignments()) or 'none'}.", file=sys.stderr)
        return 2
    if args.publish:
        from .release.distribution import publish
        print(publish(Path(args.publish)))
        return 0
    if not args.check:
        for name in names:
            print(f"released {generate_release(name, REPO / RELEASE).relative_to(REPO)}")
        return 0
    out_of_date = stale(names)
    for name in out_of_date:
        release, source = (p.relative_to(REPO) for p in (release_notebook(name), source_notebook(name).parent))
        print(f"{release} is out of date with {source}: "
              f"run `python -m autograder release {name}` and commit the result.", file=sys.stderr)
    if not out_of_date:
        print(f"releases up to date: {', '.join(names) or 'no assignments'}")
    return 1 if out_of_date else 0


def cmd_collect(args) -> int:
    from .lms.collect import collect
    course = Path(args.course)
    new = not course.exists()   # a new course folder only when asked: a mistyped --course must not start one
    if new and not args.create:
        raise SystemExit(f"{course}: no such course folder. To start a new course there, add --create; to add "
                         f"to an existing course, check --course.")
    report = collect(Path(args.source), course, args.pattern, args.assignment, args.roster)
    if new:
        print(f"created course folder {course.resolve()}")
    print(report.text())
    print(f"report: {CourseFolder(course).collect_report}")
    if not report.collected and not report.replaced:   # files, but none a submission that could be placed
        print(f"nothing was collected: none of the download's files could be placed (see why above); fix the "
              f"cause (--assignment, --pattern, --roster) and collect again.", file=sys.stderr)
        return 1
    return 0


def cmd_grade(args) -> int:
    import contextlib
    import shlex

    from .grading.batch import GradingStopped, UnknownStudents, grade
    from .lms.collect import require_submissions
    require_submissions(Path(args.course), args.assignment)   # a wrong --course: one message, nothing created
    try:
        students = [s.strip() for s in args.students.split(",") if s.strip()] if args.students else None
        results = grade(Path(args.course), args.assignment, args.workers, limits.from_args(args), force=args.force,
                        retry_failed=args.retry_failed, students=students, scheduler=args.scheduler,
                        warm=args.warm)
    except UnknownStudents as err:   # a --students name with no submission: one message, nothing graded
        print(f"error: {err}", file=sys.stderr)
        return 2
    except GradingStopped as stop:   # Ctrl-C, SIGTERM, SIGHUP: workers and kernels ended, graded work saved
        again = (f"python -m autograder grade {shlex.quote(args.assignment)} --course {shlex.quote(args.course)}"
                 + (" --retry-failed" if args.retry_failed else "")
                 + (f" --students {shlex.quote(args.students)}" if args.students else "")
                 + (f" --scheduler {shlex.quote(args.scheduler)}" if args.scheduler else ""))
        left = stop.total - stop.graded
        with contextlib.suppress(OSError):   # the terminal may be gone (SIGHUP)
            print(f"stopped by {stop.signal_name}: {stop.graded} of {stop.total} submissions graded and saved"
                  + (f"; run `{again}` again to grade the other {left}." if left else "."), file=sys.stderr)
        return stop.code
    failed = [s for s, r in results.items() if r.needs_regrade]
    for student, r in results.items():
        if r.needs_regrade:
            print(f"{student:20} NEEDS RE-GRADE (not scored): {r.needs_regrade}")
            continue
        note = f"  ({r.reasons[0]})" if r.reasons else ""
        print(f"{student:20} {r.score:5g} / {r.max_score:g}{note}")
    cf = CourseFolder(args.course)
    print(f"results: {cf.grades(args.assignment)}; gradebook: {cf.gradebook_path}")
    if failed:
        print(f"{len(failed)} submission(s) were not graded because the grader failed (not their code): "
              f"fix the cause above, then `python -m autograder grade {args.assignment} --retry-failed`.")
    return 1 if failed else 0


def cmd_feedback(args) -> int:
    from .review.feedback import feedback
    paths = feedback(Path(args.course), args.assignment)
    print(f"{len(paths)} feedback report(s) in {CourseFolder(args.course).feedback_folder(args.assignment)}")
    return 0


def cmd_export(args) -> int:
    from .review.export import export, left_out_path, summary_table
    options = {k: getattr(args, k) for lms in REGISTRY.values() for k in lms.import_options}
    paths = export(Path(args.course), args.assignment, args.lms, title=args.title, late_penalty=args.late_penalty,
                   **options)
    print(summary_table(paths["summary"]))
    print("\n".join(f"{k}: {v}" for k, v in paths.items()))
    if args.lms:
        print(left_out_path(paths["lms"].parent, args.assignment, args.lms).read_text().rstrip())
    return 0


def cmd_rubric(args) -> int:
    from .course import source_path
    from .review.rubric import rubrics
    for r in rubrics(source_path(args.assignment)).values():
        print(r.text() + "\n")
    return 0


def cmd_by_question(args) -> int:
    from .review.by_question import serve
    return serve(Path(args.course), args.assignment, args.question, args.port, args.grader, args.host)


def cmd_demo(args) -> int:
    import shutil
    import time

    from .demo import samples
    from .grading.batch import grade
    from .lms.collect import collect
    from .review.export import export, summary_table
    from .review.feedback import feedback
    course = Path(args.course).resolve()
    marker = course / ".autograder-demo-course"   # written by the demo: the only folder it will delete
    earlier = (course / "lms-export.zip").is_file() and (course / "lms-export" / "roster.csv").is_file()  # before markers
    if course.exists() and not (marker.exists() or earlier) and (not course.is_dir() or any(course.iterdir())):
        raise SystemExit(f"{course} exists and is not a demo course: the demo deletes and recreates its folder, "
                         f"and never one it did not create. Choose another --course (an empty or new folder).")
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    marker.write_text("made by `python -m autograder demo`, which deletes and recreates this folder\n")
    print(f"demo course folder: {course}")
    samples.build(course / "lms-export", course)
    zip_path = samples.lms_zip(course / "lms-export", course / "lms-export.zip")
    report = collect(zip_path, course, roster=course / "lms-export" / "roster.csv")
    print(f"collected {len(report.collected)} submissions from {zip_path.name} (Canvas names, with its roster); "
          f"not placed: {report.unmatched}; replaced by a later upload: {report.replaced}")
    t0 = time.perf_counter()
    results = grade(course, samples.A1, args.workers, limits.from_args(args))
    seconds = time.perf_counter() - t0
    print(f"\ngraded {len(results)} submissions in {seconds:.0f} s\n")
    print(f"{'student':16} {'score':>6}  expected  reason")
    for student, r in results.items():
        exp, why = samples.EXPECTED.get(student, ("?", ""))
        mark = "" if exp == round(r.score, 2) else "   <-- differs"
        print(f"{student:16} {r.score:4g}/{r.max_score:g}  {exp!s:>8}  {why}{mark}")
    fb = feedback(course, samples.A1)
    paths = export(course, samples.A1, lms="canvas", canvas_assignment_id="731")
    print("\n" + summary_table(paths["summary"]))
    print(f"\ngrades CSV:   {paths['grades']}\nsummary:      {paths['summary']}\nfigure:       {paths['figure']}"
          f"\nCanvas import: {paths['lms']} (written parts not graded yet: nobody is in it until they are)"
          f"\nfeedback:     {fb[0].parent} ({len(fb)} reports)\ngradebook:    {CourseFolder(course).gradebook_path}"
          f"\nformgrader:   autograded notebooks in {course / CourseFolder.AUTOGRADED}; grade the written parts with "
          f"`jupyter lab` in {course} (Nbgrader > Formgrader) or `python -m autograder by-question {samples.A1} "
          f"a1_q1 --course {course}`")
    return 0 if all(samples.EXPECTED[s][0] == round(r.score, 2) for s, r in results.items() if s in samples.EXPECTED) else 1


def _after_grading(sub, with_course) -> None:
    """The steps after `grade`: rubric, by-question, feedback, export."""
    fb = with_course(sub.add_parser("feedback", help="HTML report per student"))
    fb.add_argument("assignment")
    fb.set_defaults(func=cmd_feedback)
    ex = with_course(sub.add_parser("export", help="grades CSV, item analysis, LMS import file"))
    ex.add_argument("assignment")
    ex.add_argument("--lms", choices=list(REGISTRY), help="also write the LMS's grade import file")
    ex.add_argument("--title", default=None, help="the assignment's title in the LMS (default: its name)")
    ex.add_argument("--late-penalty", type=float, default=0.0,
                    help="share of the total taken off late uploads (default 0: raw; Canvas applies its own policy)")
    for lms in REGISTRY.values():   # each LMS's options of its import file
        for key, (flag, default, text) in lms.import_options.items():
            ex.add_argument(flag, dest=key, default=default, help=text)
    ex.set_defaults(func=cmd_export)
    ru = sub.add_parser("rubric", help="print the rubrics and model answers of the written parts")
    ru.add_argument("assignment")
    ru.set_defaults(func=cmd_rubric)
    bq = with_course(sub.add_parser("by-question", help="grade one written question for all students on one page"))
    bq.add_argument("assignment")
    bq.add_argument("question", help="the grade id of the written answer (see `rubric`)")
    bq.add_argument("--port", type=int, default=8765, help="its port (default 8765; 0: any free one)")
    bq.add_argument("--host", default="127.0.0.1", help="the address it listens on (default 127.0.0.1: this machine "
                                                       "only; the printed address carries the page's secret token)")
    bq.add_argument("--grader", default="instructor", help="your name, kept with the rubric choices")
    bq.set_defaults(func=cmd_by_question)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0],
                                     epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)

    def with_course(p):
        p.add_argument("--course", default="course", help="the course folder (default: ./course)")
        return p

    def with_limits(p, cell_timeout=limits.CELL_TIMEOUT):
        p.add_argument("--workers", type=int, default=None, help="parallel gradings (default: CPU count)")
        return limits.add_arguments(p, cell_timeout)

    col = with_course(sub.add_parser("collect", help="LMS export -> submitted/"))
    col.add_argument("source", help="a folder or a zip of .ipynb files")
    lmss = either(lms.title for lms in REGISTRY.values())
    col.add_argument("--pattern", default=None, help=f"regex with (?P<student>...) for file names that are no "
                                                     f"{lmss} download name")
    col.add_argument("--roster", default=None, help=f"the LMS's student list ({lmss} gradebook CSV): LMS ids "
                                                    f"become the course's student ids and names")
    col.add_argument("--create", action="store_true", help="make the course folder if it does not exist yet "
                                                           "(the first collect of a course)")
    col.add_argument("--assignment", default=None, help="the assignment, if the pattern has no assignment group")
    col.set_defaults(func=cmd_collect)
    gr = with_limits(with_course(sub.add_parser("grade", help="autograde collected submissions in parallel")))
    gr.add_argument("assignment")
    gr.add_argument("--force", action="store_true", help="grade again even if a result is up to date")
    gr.add_argument("--retry-failed", action="store_true",
                    help="grade again only the submissions marked 'needs re-grade' (the grader failed, not them)")
    gr.add_argument("--students", default=None, metavar="A,B,C",
                    help="grade only these students' submissions (names as in the course folder's submitted/)")
    gr.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="grade on the Dask cluster of this scheduler (tcp://HOST:8786), each submission one task "
                         "(--workers does not apply); this machine writes the results (docs/grading.md)")
    kernels = gr.add_mutually_exclusive_group()
    kernels.add_argument("--cold", dest="warm", action="store_false", default=None,
                         help="every kernel starts and imports on its own (the path before warm kernels)")
    kernels.add_argument("--warm", dest="warm", action="store_true", default=None,
                         help="(the default) every kernel is a fresh fork of one process per batch that imported "
                              "torch, transformers and shared once (autograder/grading/warm.py)")
    gr.set_defaults(func=cmd_grade)
    _after_grading(sub, with_course)
    demo = with_limits(sub.add_parser("demo", help="the whole loop on bundled samples"),
                       cell_timeout=limits.DEMO_CELL_TIMEOUT)
    demo.add_argument("--course", default="runs/demo-course", help="where the demo course goes (recreated)")
    demo.set_defaults(func=cmd_demo)
    rel = sub.add_parser("release", help="generate notebooks/ from solutions/")
    rel.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    rel.add_argument("--check", action="store_true", help="fail if a committed release is out of date")
    rel.add_argument("--publish", metavar="DIR", help="write the student distribution (no solutions) into DIR, a clone "
                                                      "of the public student repository, then commit and tag it")
    rel.set_defaults(func=cmd_release)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
