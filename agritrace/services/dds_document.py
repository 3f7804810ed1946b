"""A due-diligence statement (DDS) in the structure of the EU information system's
submission: the body of `SubmitStatementRequest` of the EUDR Submission Service V2
(EUDR API for Operators, Conformance Test 2, version 1.4 of 22 July 2025; namespaces
`…/eudr/submission/v2` and `…/eudr/model/v2`). Pure: it takes the package as plain
values and returns bytes.

The file is what an operator's system sends once it adds its WS-Security header (user
name, password digest, nonce) and web-service client id: credentials never pass
through this platform. Each producer's plots travel as the EUDR GeoJSON, base64, in
`geometryGeojson`; reference numbers of the statements upstream in the chain go in
`associatedStatements`, so the next holder refers to them instead of repeating them."""
from __future__ import annotations

import base64
from xml.etree import ElementTree as ET

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SUBMISSION = "http://ec.europa.eu/tracesnt/certificate/eudr/submission/v2"
MODEL = "http://ec.europa.eu/tracesnt/certificate/eudr/model/v2"
SPECIFICATION = "EUDR API for Operators, Submission Service V2 (CF2 v1.4, 22 July 2025)"

for _prefix, _uri in (("soapenv", SOAP), ("v2", SUBMISSION), ("v21", MODEL)):
    ET.register_namespace(_prefix, _uri)


def _add(parent: ET.Element, tag: str, text: object | None = None, ns: str = MODEL) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def submission_xml(package: dict) -> bytes:
    """The SOAP envelope of a `SubmitStatementRequest` for `package` (the fields of
    services.due_diligence.package)."""
    envelope = ET.Element(f"{{{SOAP}}}Envelope")
    ET.SubElement(envelope, f"{{{SOAP}}}Header")
    body = ET.SubElement(envelope, f"{{{SOAP}}}Body")
    request = _add(body, "SubmitStatementRequest", ns=SUBMISSION)
    _add(request, "operatorType", package["operator_type"], ns=SUBMISSION)
    statement = _add(request, "statement", ns=SUBMISSION)
    _add(statement, "internalReferenceNumber", package["internal_reference"])
    _add(statement, "activityType", package["activity"])
    if package.get("country_of_activity"):
        _add(statement, "countryOfActivity", package["country_of_activity"])
    _add(statement, "comment", package["comment"])
    commodity = _add(statement, "commodities")
    descriptors = _add(commodity, "descriptors")
    _add(descriptors, "descriptionOfGoods", package["description"])
    measure = _add(descriptors, "goodsMeasure")
    _add(measure, "netWeight", package["net_mass_kg"])
    _add(commodity, "hsHeading", package["hs_heading"])
    for producer in package["producers"]:
        entry = _add(commodity, "producers")
        _add(entry, "country", producer["country"])
        _add(entry, "name", producer["name"])
        _add(entry, "geometryGeojson", base64.b64encode(producer["geojson"]).decode("ascii"))
    _add(statement, "geoLocationConfidential", "false")
    for upstream in package["associated_statements"]:
        associated = _add(statement, "associatedStatements")
        _add(associated, "referenceNumber", upstream["reference_number"])
        _add(associated, "verificationNumber", upstream["verification_number"])
    ET.indent(envelope)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
