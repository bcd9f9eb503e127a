"""The ceiling: a bare Flask app, served by the same gunicorn as Roadshow in the same run.

``GET /`` answers "hello"; ``/form`` → ``POST /form`` → ``/thanks`` is the three requests of a
registration without any work behind them, for the ceiling of the form flow.
"""

from __future__ import annotations

from flask import Flask, redirect, request

app = Flask(__name__)

FORM = (
    '<form method="post"><input id="csrf_token" name="csrf_token" type="hidden" value="token">'
    '<input name="submission_key" type="hidden" value="key"><button>go</button></form>'
)


@app.get("/")
def hello() -> str:
    return "hello"


@app.get("/form")
def form() -> str:
    return FORM


@app.post("/form")
def submit():  # type: ignore[no-untyped-def]
    return redirect(f"/thanks?company={request.form.get('company_name', '')}")


@app.get("/thanks")
def thanks() -> str:
    return "thanks"
