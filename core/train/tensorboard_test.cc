// The event file read back by an independent TFRecord + protobuf decoder written in Python
// (no TensorFlow here): CRCs verify, the file_version record comes first, scalars decode.
#include "core/train/tensorboard.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace genesis {
namespace {

constexpr char kReader[] = R"PY(
import struct, sys
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xFFFFFFFF
def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1; v |= (x & 0x7F) << s; s += 7
        if x < 0x80: return v, i
def fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = varint(b, i); f, w = key >> 3, key & 7
        if w == 0: v, i = varint(b, i)
        elif w == 1: v = b[i:i+8]; i += 8
        elif w == 5: v = b[i:i+4]; i += 4
        else: n, i = varint(b, i); v = b[i:i+n]; i += n
        out.append((f, v))
    return out
data = open(sys.argv[1], "rb").read()
i = 0
while i < len(data):
    header = data[i:i+8]; (n,) = struct.unpack("<Q", header)
    assert struct.unpack("<I", data[i+8:i+12])[0] == masked(header), "length crc"
    payload = data[i+12:i+12+n]
    assert struct.unpack("<I", data[i+12+n:i+16+n])[0] == masked(payload), "data crc"
    i += 16 + n
    ev = dict(fields(payload))
    step = ev.get(2, 0)
    if 3 in ev: print("version", ev[3].decode())
    if 5 in ev:
        for f, value in fields(ev[5]):
            v = dict(fields(value))
            print("scalar", v[1].decode(), step, "%.4f" % struct.unpack("<f", v[2])[0])
)PY";

TEST(EventFileWriterTest, PythonDecoderReadsScalars) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/tb");
  std::string path;
  {
    auto writer = EventFileWriter::Create(dir);
    ASSERT_TRUE(writer.ok()) << writer.status();
    (*writer)->AddScalar("loss/train", 0.25, 1);
    (*writer)->AddScalar("loss/val", 1.5, 300);
    path = (*writer)->path();
  }
  const std::string script = dir + "/read.py", out = dir + "/out.txt";
  std::ofstream(script) << kReader;
  ASSERT_EQ(std::system(absl::StrCat("/usr/bin/python3 ", script, " ", path, " > ", out).c_str()),
            0);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text,
            "version brain.Event:2\n"
            "scalar loss/train 1 0.2500\n"
            "scalar loss/val 300 1.5000\n");
}

}  // namespace
}  // namespace genesis
