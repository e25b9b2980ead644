"""A stand-in organisation CA (root -> intermediate) that issues endpoint certificates.

Tests that need bad certificates call Authority.issue with options; see its docstring.
"""
import datetime
import os
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LEAF_DAYS = 365
CA_DAYS = 3650


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _new_key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'v6lab'),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _sign(subject, subject_key, issuer, issuer_key, *, ca, not_before, not_after, san=(), digest=None):
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer)
               .public_key(subject_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = (builder
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    with warnings.catch_warnings():  # SHA-1 is deprecated: the fault tests sign with it on purpose
        warnings.simplefilter('ignore')
        return builder.sign(issuer_key, digest or hashes.SHA256())


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_private(path, data, mode=0o600):
    """Write data to a file created with mode (never readable by others in between)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, 'wb') as out:
        out.write(data)
    os.chmod(path, mode)


class Authority:
    """A root CA and the intermediate that signs leaves."""

    def __init__(self, root_key, root, intermediate_key, intermediate):
        self.root_key, self.root = root_key, root
        self.intermediate_key, self.intermediate = intermediate_key, intermediate

    @classmethod
    def create(cls, name='v6lab'):
        now = _now()
        root_key, intermediate_key = _new_key(), _new_key()
        root = _sign(_name(f'{name} root CA'), root_key, _name(f'{name} root CA'), root_key, ca=True,
                     not_before=now, not_after=now + datetime.timedelta(days=CA_DAYS))
        intermediate = _sign(_name(f'{name} intermediate CA'), intermediate_key, root.subject, root_key,
                             ca=True, not_before=now, not_after=now + datetime.timedelta(days=CA_DAYS))
        return cls(root_key, root, intermediate_key, intermediate)

    def save(self, directory):
        """Keys and certificates as root.{pem,key} and intermediate.{pem,key} in directory."""
        directory = Path(directory)
        for stem, key, cert in (('root', self.root_key, self.root),
                                ('intermediate', self.intermediate_key, self.intermediate)):
            write_private(directory / f'{stem}.key', key_pem(key))
            (directory / f'{stem}.pem').write_bytes(pem(cert))

    @classmethod
    def load(cls, directory):
        directory = Path(directory)

        def read(stem):
            return (serialization.load_pem_private_key((directory / f'{stem}.key').read_bytes(), None),
                    x509.load_pem_x509_certificate((directory / f'{stem}.pem').read_bytes()))
        return cls(*read('root'), *read('intermediate'))

    def issue(self, fqdn, cert_path, key_path, *, san=None, self_signed=False, expired=False,
              not_before=None, not_after=None, other_ca=False, intermediate=True, mismatched_key=False,
              key_mode=0o600, weak_key=False, sha1=False):
        """Write a leaf for fqdn: cert_path = leaf + intermediate, key_path = its key (key_mode).

        The defaults give a good certificate. Options make one bad thing at a time:
        san: the DNS names in the SAN instead of [fqdn]; self_signed: the leaf signs itself;
        expired: validity ended yesterday; not_before: validity starts then (a datetime: a future one
        gives a certificate not yet valid); not_after: validity ends then (a datetime);
        other_ca: signed by a fresh CA that no bundle trusts; intermediate=False: the file holds
        the leaf only; mismatched_key: key_path gets a key that is not the leaf's; weak_key: a
        1024-bit RSA key; sha1: the intermediate signs the leaf with SHA-1.
        """
        now = _now()
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024) if weak_key else _new_key()
        start = now - datetime.timedelta(days=1)
        end = now + datetime.timedelta(days=LEAF_DAYS)
        if expired:
            start, end = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
        if not_before is not None:
            start = not_before
        if not_after is not None:
            end = not_after
        signer = Authority.create('other') if other_ca else self
        if self_signed:
            issuer, issuer_key, chain = _name(fqdn), key, []
        else:
            issuer, issuer_key = signer.intermediate.subject, signer.intermediate_key
            chain = [signer.intermediate] if intermediate else []
        leaf = _sign(_name(fqdn), key, issuer, issuer_key, ca=False, not_before=start, not_after=end,
                     san=san if san is not None else [fqdn], digest=hashes.SHA1() if sha1 else None)
        Path(cert_path).parent.mkdir(parents=True, exist_ok=True)
        Path(cert_path).write_bytes(b''.join(pem(c) for c in [leaf, *chain]))
        write_private(key_path, key_pem(_new_key() if mismatched_key else key), key_mode)
        return leaf


def broker_tls(site):
    """(fqdn, cert, key) of the broker's AMQPS certificate (services.rabbitmq.tls), named after the broker
    host, or None when the site asks for no AMQPS."""
    service = site.get('services', {}).get('rabbitmq') or {}
    tls = service.get('tls')
    if not tls:
        return None
    return site['hosts'][service['host']]['fqdn'], tls['cert'], tls['key']


def create(lab):
    """The lab CA in state/pki/ca/, the trust bundle the site names, a leaf per endpoint, and the broker's
    AMQPS leaf for its host's name."""
    authority = Authority.create()
    authority.save(lab.dir('pki', 'ca'))
    bundle = Path(lab.site['pki']['ca_bundle'])
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_bytes(pem(authority.root))
    for endpoint in lab.site.get('endpoints', {}).values():
        authority.issue(endpoint['fqdn'], endpoint['cert'], endpoint['key'])
    broker = broker_tls(lab.site)
    if broker:
        authority.issue(*broker)
    return authority


def authority(lab):
    """The running lab's CA, to issue more certificates."""
    return Authority.load(lab.state_dir / 'pki' / 'ca')
