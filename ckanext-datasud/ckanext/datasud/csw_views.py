"""``/csw``: DataSud's INSPIRE discovery service (CSW 2.0.2), open to every harvester.

The requests of discovery (GetCapabilities, DescribeRecord, GetRecords, GetRecordById,
GetDomain), by KVP GET or XML POST, are passed to the pycsw service on 127.0.0.1
(``csw/``) and its answers returned as they are. Anything else — a Transaction or a
Harvest, which the service accepts from 127.0.0.1, so from this proxy — is refused here
with an OWS exception (400), and so is a body that is not XML or too large.
"""
from __future__ import annotations

import logging
from xml.sax.saxutils import escape

import requests
from flask import Blueprint, Response, request
from lxml import etree

import ckan.plugins.toolkit as tk

from ckanext.datasud.csw import sync
from ckanext.datasud.security import csrf

log = logging.getLogger(__name__)

datasud_csw = Blueprint("datasud_csw", __name__)

DISCOVERY = {"getcapabilities", "describerecord", "getrecords", "getrecordbyid", "getdomain"}
MAX_BODY = 256 * 1024
OWS = "http://www.opengis.net/ows"


def exception_report(code: str, message: str, status: int, locator: str = "request") -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<ows:ExceptionReport xmlns:ows="{OWS}" version="1.2.0" language="fr">'
            f'<ows:Exception exceptionCode="{code}" locator="{escape(locator)}">'
            f'<ows:ExceptionText>{escape(message)}</ows:ExceptionText></ows:Exception></ows:ExceptionReport>')
    return Response(body, status=status, content_type="application/xml; charset=UTF-8")


def requested_operation() -> str:
    """The CSW operation asked for (lower case), from the query string or the XML body."""
    if request.method == "GET":
        values = [v for k, v in request.args.items() if k.lower() == "request"]
        return values[0].strip().lower() if values else ""
    try:
        root = etree.fromstring(request.get_data(cache=True), parser=etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return "not-xml"
    return etree.QName(root).localname.lower()


@datasud_csw.route("/csw", methods=["GET", "POST"])
@csrf.stateless
def csw():
    if not sync.enabled():
        return exception_report("NoApplicableCode", tk._("The discovery service is not enabled on this portal."), 503)
    if request.method == "POST" and (request.content_length or 0) > MAX_BODY:
        return exception_report("NoApplicableCode", tk._("The request is too large."), 413)
    operation = requested_operation()
    if operation == "not-xml":
        return exception_report("NoApplicableCode", tk._("The request body is not XML."), 400)
    if operation and operation not in DISCOVERY:
        return exception_report("OperationNotSupported",
                                tk._("This discovery service only answers GetCapabilities, DescribeRecord, "
                                     "GetRecords, GetRecordById and GetDomain."), 400)
    try:
        answer = requests.request(
            request.method, sync.service_url(), params=request.args if request.method == "GET" else None,
            data=request.get_data() if request.method == "POST" else None, timeout=60,
            headers={"Content-Type": request.headers.get("Content-Type", "application/xml")})
    except requests.RequestException:
        log.exception("the discovery service (pycsw) does not answer")
        return exception_report("NoApplicableCode",
                                tk._("The discovery service is unavailable for now: please try again later."), 503)
    return Response(answer.content, status=answer.status_code,
                    content_type=answer.headers.get("Content-Type", "application/xml; charset=UTF-8"))
