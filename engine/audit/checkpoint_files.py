"""The files behind the audit anchor: the signing key and the checkpoint directory.

The directory is append-only by construction: each checkpoint is written to a temporary
file, flushed to disk, then *linked* to its final name, which fails if that name exists, so
a checkpoint is never overwritten or half-written, and two writers at once cannot both take
one number. Files are made read-only. Put the directory on storage the database's users
cannot rewrite (another host, ``chattr +a``, an object store with retention); see
docs/audit.md.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.domain.audit import anchor, keys
from engine.domain.errors import Conflict, InvalidInput, NotReady

NAME = re.compile(r"^checkpoint-(\d{8})\.json$")
#: A checkpoint file larger than this is not read (a chain head is ~90 bytes: 100 MB is
#: about a million chains).
MAX_FILE_BYTES = 100_000_000


def file_name(seq: int) -> str:
    return f"checkpoint-{seq:08d}.json"


# --- keys ---------------------------------------------------------------------------------
def write_new_key(path: Path) -> tuple[Path, Path, str]:
    """A new signing key at ``path`` (mode 0600, never over an existing file) and its public
    key beside it (``.pub``); returns both paths and the key's fingerprint."""
    key = keys.new_key()
    pub = public_path(path)
    for p in (path, pub):
        if p.exists():
            raise Conflict(
                f"{p} exists already: a new key would make earlier checkpoints unverifiable",
                f"{p} finns redan: en ny nyckel skulle göra tidigare kontrollpunkter "
                "omöjliga att kontrollera",
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(keys.private_pem(key))
    pub.write_bytes(keys.public_pem(key.public_key()))
    return path, pub, keys.key_id(key.public_key())


def public_path(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".pub")


def signing_key(key_file: str) -> Ed25519PrivateKey:
    """The signing key, refused when not set up, or readable by others than its owner."""
    if not key_file:
        raise NotReady(
            "no audit signing key: set SAMFLOW_AUDIT_KEY_FILE (samflow audit keygen makes one)",
            "ingen signeringsnyckel för revisionsloggen: ange SAMFLOW_AUDIT_KEY_FILE "
            "(samflow audit keygen skapar en)",
        )
    path = Path(key_file)
    if not path.is_file():
        raise NotReady(
            f"SAMFLOW_AUDIT_KEY_FILE: {path} does not exist (samflow audit keygen makes it)",
            f"SAMFLOW_AUDIT_KEY_FILE: {path} finns inte (samflow audit keygen skapar den)",
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InvalidInput.field(
            "SAMFLOW_AUDIT_KEY_FILE",
            f"{path} can be read by others (mode {mode:o}); run: chmod 600 {path}",
            f"{path} kan läsas av andra (läge {mode:o}); kör: chmod 600 {path}",
        )
    try:
        return keys.load_private(path.read_bytes())
    except ValueError as exc:
        raise InvalidInput.field(
            "SAMFLOW_AUDIT_KEY_FILE",
            f"{path} is not an unencrypted Ed25519 key in PEM ({exc})",
            f"{path} är inte en okrypterad Ed25519-nyckel i PEM ({exc})",
        ) from None


def verifying_key(public_file: str, key_file: str) -> Ed25519PublicKey | None:
    """The public key (from its own file, else from the signing key); None if neither is
    set."""
    if not public_file and not key_file:
        return None
    if not public_file:
        return signing_key(key_file).public_key()
    path = Path(public_file)
    try:
        return keys.load_public(path.read_bytes())
    except FileNotFoundError:
        raise NotReady(
            f"the public key {path} does not exist", f"den publika nyckeln {path} finns inte"
        ) from None
    except ValueError as exc:
        raise InvalidInput.field(
            "SAMFLOW_AUDIT_PUBLIC_KEY_FILE",
            f"{path} is not an Ed25519 public key in PEM ({exc})",
            f"{path} är inte en publik Ed25519-nyckel i PEM ({exc})",
        ) from None


# --- the directory ------------------------------------------------------------------------
def read_all(directory: Path) -> list[anchor.Entry]:
    """Every checkpoint file (by its name); files of other names are not ours."""
    if not directory.is_dir():
        return []
    out = []
    for p in directory.iterdir():
        m = NAME.match(p.name)
        if m:
            out.append(anchor.Entry(p.name, int(m.group(1)), _load(p)))
    return out


def read_one(directory: Path, seq: int) -> anchor.Entry | None:
    p = directory / file_name(seq)
    return anchor.Entry(p.name, seq, _load(p)) if p.is_file() else None


def _load(p: Path) -> object:
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            return None
        return json.loads(p.read_bytes())
    except (OSError, ValueError):
        return None


def write_exclusive(directory: Path, signed: anchor.Signed) -> Path | None:
    """Write one checkpoint under its number; None if that number is taken (another
    writer was first: read the series again and take the next)."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / file_name(signed.checkpoint.seq)
    tmp = directory / f".{final.name}.{os.getpid()}.tmp"
    data = json.dumps(signed.document(), ensure_ascii=False, sort_keys=True).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o444)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, final)
    except FileExistsError:
        return None
    finally:
        tmp.unlink(missing_ok=True)
    _sync_dir(directory)
    return final


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
