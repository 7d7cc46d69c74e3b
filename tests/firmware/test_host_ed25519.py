"""Host tests of the firmware's Ed25519 verifier (``src/core/ed25519.c``) and SHA-512.

Compiled with the host compiler under AddressSanitizer and UBSan. Checked
against RFC 8032's test vectors and, on a few thousand random keys and
messages, against ``cryptography``'s Ed25519 (OpenSSL): every valid
signature must pass, and for tampered ones (a flipped bit in the key, the
signature or the message; S pushed past the group order; random keys) both
must give the same verdict.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hostbuild import CORE, HOST, compile_host

L = 2**252 + 27742317777372353535851937790883648493
P = 2**255 - 19

# RFC 8032 §7.1, TEST 1, 2 and 3: (secret key, public key, message, signature).
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]  # fmt: skip


@pytest.fixture(scope="module")
def ed_host(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edhost") / "test_ed25519"
    sources = [CORE / "ed25519.c", CORE / "sha512.c", HOST / "test_ed25519.c"]
    return compile_host(out, sources, probe=["selftest"])


def verify_many(binary: Path, cases: list[tuple[bytes, bytes, bytes]]) -> list[str]:
    stdin = "".join(f"{pub.hex()} {sig.hex()} {msg.hex() or '-'}\n" for pub, sig, msg in cases)
    res = subprocess.run([str(binary), "verify"], input=stdin, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    out = res.stdout.split()
    assert len(out) == len(cases), res.stdout[-500:]
    return out


def reference(pub: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
    except InvalidSignature:
        return False
    return True


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def test_rfc8032_vectors(ed_host):
    cases = [(bytes.fromhex(pk), bytes.fromhex(sig), bytes.fromhex(msg)) for _, pk, msg, sig in RFC8032]
    assert verify_many(ed_host, cases) == ["OK"] * 3
    # The secret keys really give those public keys and signatures (the vectors were copied right).
    for sk, pk, msg, sig in RFC8032:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(sk))
        assert raw_public(key).hex() == pk and key.sign(bytes.fromhex(msg)).hex() == sig


def test_rfc8032_vectors_with_one_bit_flipped_anywhere_fail(ed_host):
    cases, names = [], []
    for _, pk, msg, sig in RFC8032:
        pub, s, m = bytes.fromhex(pk), bytes.fromhex(sig), bytes.fromhex(msg)
        for bit in range(0, 256, 7):
            cases.append((flip(pub, bit), s, m))
            names.append("key")
        for bit in range(0, 512, 5):
            cases.append((pub, flip(s, bit), m))
            names.append("sig")
        for bit in range(len(m) * 8):
            cases.append((pub, s, flip(m, bit)))
            names.append("msg")
    results = verify_many(ed_host, cases)
    assert "OK" not in results
    # Each failure says where it failed: a flipped S bit often leaves S >= L; message flips are E_SIG.
    assert {r for r, n in zip(results, names) if n == "msg"} == {"E_SIG"}


def test_cross_check_with_cryptography_on_random_keys_and_messages(ed_host):
    rng = random.Random(25519)
    cases, expected = [], []
    for i in range(1500):
        key = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        pub = raw_public(key)
        msg = rng.randbytes(rng.choice([0, 1, 31, 32, 33, 64, 111, 112, 127, 128, 129, 255, rng.randrange(2000)]))
        sig = key.sign(msg)
        variants = [(pub, sig, msg)]
        kind = i % 5
        if kind == 0:
            variants.append((flip(pub, rng.randrange(256)), sig, msg))
        elif kind == 1:
            variants.append((pub, flip(sig, rng.randrange(512)), msg))
        elif kind == 2 and msg:
            variants.append((pub, sig, flip(msg, rng.randrange(len(msg) * 8))))
        elif kind == 3:
            s = int.from_bytes(sig[32:], "little") + L      # the malleable twin
            if s < 2**256:
                variants.append((pub, sig[:32] + s.to_bytes(32, "little"), msg))
        else:
            variants.append((rng.randbytes(32), sig, msg))  # a random "key"
        for v in variants:
            cases.append(v)
            expected.append(reference(*v))
    results = verify_many(ed_host, cases)
    assert sum(expected) >= 1500
    mismatches = [(c, r) for c, r, e in zip(cases, results, expected) if (r == "OK") != e]
    assert not mismatches, f"{len(mismatches)} verdicts differ from OpenSSL's, first: {mismatches[0]}"


def test_non_canonical_and_off_curve_keys_are_refused(ed_host):
    _, pk, msg, sig = RFC8032[0]
    s, m = bytes.fromhex(sig), bytes.fromhex(msg)
    y_ge_p = (P + 1).to_bytes(32, "little")                 # y = p + 1 (the encoding of y = 1, not canonical)
    cases = [(y_ge_p, s, m), ((2**255 - 1).to_bytes(32, "little"), s, m)]
    s_equal_l = s[:32] + L.to_bytes(32, "little")
    cases.append((bytes.fromhex(pk), s_equal_l, m))
    assert verify_many(ed_host, cases) == ["E_KEY", "E_KEY", "E_S"]


def test_sha512_matches_hashlib(ed_host):
    rng = random.Random(512)
    sizes = [0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 1000, 4096, 10_007]
    data = [rng.randbytes(n) for n in sizes]
    stdin = "".join(f"{d.hex() or '-'}\n" for d in data)
    res = subprocess.run([str(ed_host), "sha512"], input=stdin, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [hashlib.sha512(d).hexdigest() for d in data]
