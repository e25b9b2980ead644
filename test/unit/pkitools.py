"""A throwaway PKI for unit tests: certificates with chosen issuers, names and dates."""
import dataclasses
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.datetime(2026, 11, 25, 12, 0, 0)


@dataclasses.dataclass
class Issued:
    cert: x509.Certificate
    key: object

    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issue(cn, issuer=None, ca=False, sans=(), not_before=NOW - datetime.timedelta(days=1),
          not_after=NOW + datetime.timedelta(days=365), key=None):
    """A certificate for cn signed by issuer (an Issued), or self-signed when issuer is None."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(cn))
               .issuer_name(issuer.cert.subject if issuer else _name(cn))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]),
                                        critical=False)
    return Issued(builder.sign((issuer or Issued(None, key)).key, hashes.SHA256()), key)


@dataclasses.dataclass
class Pki:
    root: Issued          # RSA
    intermediate: Issued  # EC, signed by root
    leaf: Issued          # keystone.lab.example.net, signed by the intermediate


def make_pki(now=NOW):
    root = issue("Lab Root CA", ca=True, not_after=now + datetime.timedelta(days=3650), key=rsa_key())
    intermediate = issue("Lab Intermediate CA", root, ca=True, not_after=now + datetime.timedelta(days=1825))
    leaf = issue("keystone.lab.example.net", intermediate, sans=["keystone.lab.example.net"],
                 not_after=now + datetime.timedelta(days=365))
    return Pki(root, intermediate, leaf)
