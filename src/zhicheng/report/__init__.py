"""Evaluation reports (评估报告): city, domain and campaign documents as PDF, Word and HTML.

The package renders plain data (a :class:`~zhicheng.report.document.Document`) and knows no other
service: :mod:`zhicheng.workspace.reports` gathers what a report says from the evaluation, the
read models, carbon, events and campaigns. The templates are files a city may edit
(``templates/*.html.j2`` and ``report.css``, Jinja2 rendered to PDF by WeasyPrint); Word files are
built with python-docx; charts are drawn server-side by matplotlib as SVG (PNG in Word).
Numbers pass :mod:`zhicheng.numfmt`, the cockpit's formatter.
"""

from zhicheng.report.document import FORMATS, KINDS, Document, ReportError

__all__ = ["FORMATS", "KINDS", "Document", "ReportError"]
