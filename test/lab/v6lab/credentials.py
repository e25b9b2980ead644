"""Secrets the site references as {file: PATH}: generated, random, mode 0600."""
import secrets

from .pki import write_private


def file_references(value):
    """Every PATH in a {file: PATH} mapping anywhere under value."""
    if isinstance(value, dict):
        if set(value) == {'file'}:
            return [value['file']]
        return [path for item in value.values() for path in file_references(item)]
    if isinstance(value, list):
        return [path for item in value for path in file_references(item)]
    return []


def create(lab):
    for path in file_references(lab.site.get('services', {})):
        write_private(path, (secrets.token_urlsafe(24) + '\n').encode())
