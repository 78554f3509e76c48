"""Writes the bytes a .hex input file spells (whitespace ignored): unhex.py IN.hex OUT.

Fuzz inputs in file formats Genesis reads as scans or weights (.dcm, .npy, .pth) are kept as
hex text, so the repository holds no file of those kinds; the regression tests and
make_seeds.py decode them.
"""
import binascii
import sys


def decode(path):
    with open(path) as f:
        return binascii.unhexlify("".join(f.read().split()))


if __name__ == "__main__":
    with open(sys.argv[2], "wb") as out:
        out.write(decode(sys.argv[1]))
