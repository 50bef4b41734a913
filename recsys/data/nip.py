"""NIP (Nomor Induk Pegawai): the 18-digit civil-servant number and what it encodes.

Layout: birth date ``YYYYMMDD`` (8), TMT CPNS ``YYYYMM`` (6), gender digit (1 = M, 2 = F),
then a 3-digit sequence number (001-999) that tells apart people sharing the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NIP_LENGTH = 18
GENDER_DIGITS = {"M": "1", "F": "2"}


def compose(
    birth_date: pd.Series, hire_date: pd.Series, gender: pd.Series, sequence: np.ndarray
) -> pd.Series:
    """Build NIPs from their parts (vectorised). ``sequence`` is 1-999."""
    if (np.asarray(sequence) < 1).any() or (np.asarray(sequence) > 999).any():
        raise ValueError("NIP sequence numbers must be within 1-999")
    birth = pd.to_datetime(birth_date).dt.strftime("%Y%m%d")
    hire = pd.to_datetime(hire_date).dt.strftime("%Y%m")
    sex = gender.astype("string").map(GENDER_DIGITS)
    seq = pd.Series(np.asarray(sequence), index=birth.index).map("{:03d}".format)
    return (birth + hire + sex + seq).astype("string[pyarrow]")


def inconsistencies(
    nip: pd.Series, birth_date: pd.Series, hire_date: pd.Series, gender: pd.Series
) -> pd.DataFrame:
    """Boolean frame, one column per NIP part, True where the part disagrees with the row.

    Columns: ``birth_date``, ``hire_date``, ``gender``, ``sequence`` (sequence 000).
    Rows whose inputs are missing are reported as consistent: missing values are
    another rule's business.
    """
    text = nip.astype("string")
    birth = pd.to_datetime(birth_date).dt.strftime("%Y%m%d").astype("string")
    hire = pd.to_datetime(hire_date).dt.strftime("%Y%m").astype("string")
    sex = gender.astype("string").map(GENDER_DIGITS, na_action="ignore").astype("string")
    out = pd.DataFrame(
        {
            "birth_date": text.str.slice(0, 8) != birth,
            "hire_date": text.str.slice(8, 14) != hire,
            "gender": text.str.slice(14, 15) != sex,
            "sequence": text.str.slice(15, 18) == "000",
        },
        index=nip.index,
    )
    return out.fillna(False).astype(bool)
