#!/usr/bin/env python3
"""Reads a JUnit XML file with junitparser (the PyPI library CI tooling uses to read JUnit
results) and prints what it understood as JSON, for tests/junit.rs to compare with the run file.
A file it cannot read exits non-zero with its error."""
import json
import sys

from junitparser import Error, Failure, JUnitXml, Skipped

xml = JUnitXml.fromfile(sys.argv[1])
xml.update_statistics()
suites = []
for suite in xml:
    cases = []
    for case in suite:
        results = []
        for result in case.result:
            kind = {Failure: "failure", Error: "error", Skipped: "skipped"}[type(result)]
            results.append({"kind": kind, "message": result.message, "text": result.text})
        cases.append({"name": case.name, "classname": case.classname, "time": case.time, "results": results})
    properties = {prop.name: prop.value for prop in suite.properties()}
    suites.append({
        "name": suite.name,
        "tests": suite.tests,
        "failures": suite.failures,
        "errors": suite.errors,
        "skipped": suite.skipped,
        "properties": properties,
        "cases": cases,
    })
print(json.dumps({"name": xml.name, "tests": xml.tests, "failures": xml.failures, "errors": xml.errors, "suites": suites}))
