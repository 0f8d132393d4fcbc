"""What investigators and sharing centres receive: STIX 2.1, MISP, CSV indicators,
evidence packages, public advisories; all read a :class:`~pollwatch.export.case.Case`."""
