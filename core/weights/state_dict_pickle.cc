#include "core/weights/state_dict_pickle.h"

#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/status_macros.h"

namespace genesis {

int64_t StorageDtypeSize(StorageDtype dtype) {
  switch (dtype) {
    case StorageDtype::kFloat64:
    case StorageDtype::kInt64:
      return 8;
    case StorageDtype::kFloat32:
    case StorageDtype::kInt32:
      return 4;
    case StorageDtype::kFloat16:
    case StorageDtype::kBFloat16:
    case StorageDtype::kInt16:
      return 2;
    case StorageDtype::kInt8:
    case StorageDtype::kUInt8:
    case StorageDtype::kBool:
      return 1;
  }
  return 1;
}

const char* StorageDtypeName(StorageDtype dtype) {
  switch (dtype) {
    case StorageDtype::kFloat32:
      return "float32";
    case StorageDtype::kFloat64:
      return "float64";
    case StorageDtype::kFloat16:
      return "float16";
    case StorageDtype::kBFloat16:
      return "bfloat16";
    case StorageDtype::kInt64:
      return "int64";
    case StorageDtype::kInt32:
      return "int32";
    case StorageDtype::kInt16:
      return "int16";
    case StorageDtype::kInt8:
      return "int8";
    case StorageDtype::kUInt8:
      return "uint8";
    case StorageDtype::kBool:
      return "bool";
  }
  return "?";
}

namespace {

constexpr int kMaxDims = 32;
// Bounds that keep a hostile file from exhausting memory through the object graph.
constexpr size_t kMaxStack = size_t{1} << 22;
constexpr uint32_t kMaxMemo = uint32_t{1} << 24;

bool StorageDtypeOf(absl::string_view storage_class, StorageDtype* dtype) {
  static const std::pair<absl::string_view, StorageDtype> kStorages[] = {
      {"FloatStorage", StorageDtype::kFloat32}, {"DoubleStorage", StorageDtype::kFloat64},
      {"HalfStorage", StorageDtype::kFloat16},  {"BFloat16Storage", StorageDtype::kBFloat16},
      {"LongStorage", StorageDtype::kInt64},    {"IntStorage", StorageDtype::kInt32},
      {"ShortStorage", StorageDtype::kInt16},   {"CharStorage", StorageDtype::kInt8},
      {"ByteStorage", StorageDtype::kUInt8},    {"BoolStorage", StorageDtype::kBool},
  };
  for (const auto& [name, d] : kStorages) {
    if (storage_class == name) {
      *dtype = d;
      return true;
    }
  }
  return false;
}

struct Obj;
// Objects belong to the ObjArena of one parse and refer to each other by plain pointers: a
// hostile pickle can build cycles (a dict stored in itself through the memo, a list appended
// to itself), which reference counting would leak, and nestings as deep as the file is long,
// which it would tear down recursively until the stack overflows.
using Ref = Obj*;

struct Obj {
  enum Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kStr,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor,
    kBigInt  // An integer wider than 64 bits (the legacy format's magic number), raw bytes in s.
  };
  Kind kind = kNone;
  int64_t i = 0;
  double f = 0;
  std::string s;           // kStr / kBytes text, kGlobal "module.name", kStorage key.
  std::vector<Ref> items;  // kTuple / kList.
  std::vector<std::pair<Ref, Ref>> entries;     // kDict, in insertion order.
  StorageDtype dtype = StorageDtype::kFloat32;  // kStorage.
  int64_t numel = 0;                            // kStorage.
  Ref storage;                                  // kTensor.
  int64_t offset = 0;                           // kTensor.
  std::vector<int64_t> sizes, strides;          // kTensor.
};

const char* KindName(Obj::Kind kind) {
  switch (kind) {
    case Obj::kNone:
      return "None";
    case Obj::kBool:
      return "bool";
    case Obj::kInt:
      return "int";
    case Obj::kFloat:
      return "float";
    case Obj::kStr:
      return "str";
    case Obj::kBytes:
      return "bytes";
    case Obj::kTuple:
      return "tuple";
    case Obj::kList:
      return "list";
    case Obj::kDict:
      return "dict";
    case Obj::kGlobal:
      return "global";
    case Obj::kStorage:
      return "storage";
    case Obj::kTensor:
      return "tensor";
    case Obj::kBigInt:
      return "big int";
  }
  return "?";
}

// Owns every object of one parse (the legacy format's pickles share one). At most one object
// per opcode, so its size is bounded by the input's.
class ObjArena {
 public:
  Ref Make(Obj::Kind kind) {
    objects_.push_back(std::make_unique<Obj>());
    objects_.back()->kind = kind;
    return objects_.back().get();
  }

 private:
  std::vector<std::unique_ptr<Obj>> objects_;
};

class Unpickler {
 public:
  // Reads one pickle starting at byte `start` of `data` into objects of `arena`; `label` names
  // the stream in errors.
  Unpickler(ObjArena* arena, absl::string_view data, absl::string_view source, size_t start = 0,
            absl::string_view label = "data.pkl")
      : arena_(arena), data_(data), source_(source), label_(label), pos_(start) {}

  // Byte after the STOP opcode, once Run() succeeded.
  size_t end() const { return pos_; }

  absl::StatusOr<Ref> Run() {
    while (true) {
      if (pos_ >= data_.size()) return Error("pickle ends without STOP (truncated file?)");
      op_pos_ = pos_;
      op_ = static_cast<unsigned char>(data_[pos_++]);
      bool stop = false;
      GENESIS_RETURN_IF_ERROR(Step(&stop));
      if (stop) break;
    }
    if (stack_.size() != 1) {
      return Error(absl::StrCat("STOP with ", stack_.size(), " objects on the stack, expected 1"));
    }
    return stack_.back();
  }

 private:
  Ref Make(Obj::Kind kind) { return arena_->Make(kind); }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", label_, " byte ", op_pos_,
                                                   " (opcode 0x", absl::Hex(op_, absl::kZeroPad2),
                                                   "): ", what));
  }

  absl::Status Need(size_t n) const {
    if (data_.size() - pos_ < n) {
      return Error(absl::StrCat("needs ", n, " more bytes, only ", data_.size() - pos_,
                                " left (truncated file?)"));
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::StatusOr<T> ReadLittle(size_t n) {
    GENESIS_RETURN_IF_ERROR(Need(n));
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + k])) << (8 * k);
    }
    pos_ += n;
    return static_cast<T>(v);
  }

  absl::StatusOr<std::string> ReadBytes(uint64_t n) {
    if (n > data_.size() - pos_) {
      return Error(absl::StrCat("string of ", n, " bytes but only ", data_.size() - pos_,
                                " left (truncated or corrupt file)"));
    }
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  absl::StatusOr<std::string> ReadLine() {
    const size_t end = data_.find('\n', pos_);
    if (end == absl::string_view::npos) return Error("unterminated text line");
    std::string s(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }

  absl::Status Push(Ref o) {
    if (stack_.size() >= kMaxStack) return Error("pickle stack too deep");
    stack_.push_back(std::move(o));
    return absl::OkStatus();
  }

  absl::StatusOr<Ref> Pop() {
    if (stack_.size() <= Floor()) return Error("pop from an empty stack (corrupt pickle)");
    Ref o = std::move(stack_.back());
    stack_.pop_back();
    return o;
  }

  size_t Floor() const { return marks_.empty() ? 0 : marks_.back(); }

  // Pops everything above the last MARK, and the mark.
  absl::StatusOr<std::vector<Ref>> PopToMark() {
    if (marks_.empty()) return Error("no MARK on the stack (corrupt pickle)");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Ref> items(stack_.begin() + mark, stack_.end());
    stack_.resize(mark);
    return items;
  }

  absl::Status Put(uint32_t index) {
    if (stack_.empty()) return Error("memo put with an empty stack");
    if (index >= kMaxMemo) return Error(absl::StrCat("memo index ", index, " out of range"));
    memo_[index] = stack_.back();
    return absl::OkStatus();
  }

  absl::Status Get(uint32_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Error(absl::StrCat("memo index ", index, " never stored"));
    return Push(it->second);
  }

  absl::Status Global(const std::string& module, const std::string& name) {
    const std::string full = absl::StrCat(module, ".", name);
    StorageDtype dtype;
    const bool known =
        full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2" ||
        full == "torch._utils._rebuild_parameter" || full == "torch.jit._pickle.restore_type_tag" ||
        (module == "torch" && StorageDtypeOf(name, &dtype));
    if (!known) {
      return Error(absl::StrCat(
          "unsupported global '", full,
          "': only state_dicts (dicts of tensors) can be read; save the model's state_dict(), "
          "not the model object"));
    }
    Ref g = Make(Obj::kGlobal);
    g->s = full;
    return Push(std::move(g));
  }

  absl::Status SetItems(const Ref& dict, const std::vector<Ref>& kv) {
    if (dict->kind != Obj::kDict) {
      return Error(absl::StrCat("SETITEM(S) on a ", KindName(dict->kind), ", expected a dict"));
    }
    if (kv.size() % 2 != 0) return Error("SETITEMS with an odd number of objects");
    for (size_t k = 0; k < kv.size(); k += 2) dict->entries.emplace_back(kv[k], kv[k + 1]);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<int64_t>> IntTuple(const Ref& o, absl::string_view what) {
    if (o->kind != Obj::kTuple && o->kind != Obj::kList) {
      return Error(absl::StrCat(what, " is a ", KindName(o->kind), ", expected a tuple of ints"));
    }
    if (o->items.size() > kMaxDims) {
      return Error(
          absl::StrCat(what, " has ", o->items.size(), " dimensions (max ", kMaxDims, ")"));
    }
    std::vector<int64_t> v;
    for (const Ref& item : o->items) {
      if (item->kind != Obj::kInt || item->i < 0) {
        return Error(absl::StrCat(what, " holds a ", KindName(item->kind),
                                  item->kind == Obj::kInt ? " < 0" : "",
                                  ", expected non-negative ints"));
      }
      v.push_back(item->i);
    }
    return v;
  }

  absl::StatusOr<Ref> Call(const Ref& callable, const Ref& args) {
    if (callable->kind != Obj::kGlobal) {
      return Error(absl::StrCat("REDUCE calls a ", KindName(callable->kind)));
    }
    if (args->kind != Obj::kTuple) {
      return Error(absl::StrCat("REDUCE arguments are a ", KindName(args->kind)));
    }
    const std::vector<Ref>& a = args->items;
    if (callable->s == "collections.OrderedDict") {
      if (!a.empty()) return Error("collections.OrderedDict called with arguments");
      return Make(Obj::kDict);
    }
    if (callable->s == "torch.jit._pickle.restore_type_tag") {  // torch::pickle_save's dicts.
      if (a.size() != 2) return Error("torch.jit._pickle.restore_type_tag expects (object, type)");
      return a[0];
    }
    if (callable->s == "torch._utils._rebuild_parameter") {
      if (a.empty() || a[0]->kind != Obj::kTensor) {
        return Error("torch._utils._rebuild_parameter without a tensor argument");
      }
      return a[0];
    }
    if (callable->s == "torch._utils._rebuild_tensor_v2") {
      if (a.size() < 4 || a[0]->kind != Obj::kStorage || a[1]->kind != Obj::kInt) {
        return Error(
            "torch._utils._rebuild_tensor_v2 expects (storage, offset, size, stride, ...)");
      }
      Ref t = Make(Obj::kTensor);
      t->storage = a[0];
      t->offset = a[1]->i;
      GENESIS_ASSIGN_OR_RETURN(t->sizes, IntTuple(a[2], "tensor size"));
      GENESIS_ASSIGN_OR_RETURN(t->strides, IntTuple(a[3], "tensor stride"));
      if (t->sizes.size() != t->strides.size()) {
        return Error(absl::StrCat("tensor size has ", t->sizes.size(), " dims but stride has ",
                                  t->strides.size()));
      }
      return t;
    }
    return Error(absl::StrCat("unsupported call to global '", callable->s, "'"));
  }

  // ('storage', torch.<Dtype>Storage, key, location, numel) -> a storage reference; the legacy
  // format adds a sixth element, view metadata, which must be None.
  absl::StatusOr<Ref> PersistentLoad(const Ref& pid) {
    const std::vector<Ref>& a = pid->items;
    if (pid->kind != Obj::kTuple || (a.size() != 5 && a.size() != 6) || a[0]->kind != Obj::kStr ||
        a[0]->s != "storage" || a[1]->kind != Obj::kGlobal || a[2]->kind != Obj::kStr ||
        a[4]->kind != Obj::kInt) {
      return Error("persistent id is not ('storage', torch.<Dtype>Storage, key, location, numel)");
    }
    if (a.size() == 6 && a[5]->kind != Obj::kNone) {
      return Error("legacy storage views are unsupported; re-save the file with torch.save");
    }
    Ref storage = Make(Obj::kStorage);
    absl::string_view cls = a[1]->s;
    if (!absl::ConsumePrefix(&cls, "torch.") || !StorageDtypeOf(cls, &storage->dtype)) {
      return Error(absl::StrCat("unsupported storage type '", a[1]->s, "'"));
    }
    storage->s = a[2]->s;
    storage->numel = a[4]->i;
    const int64_t max_numel =
        std::numeric_limits<int64_t>::max() / 16 / StorageDtypeSize(storage->dtype);
    if (storage->numel < 0 || storage->numel > max_numel) {
      return Error(absl::StrCat("storage '", storage->s, "' has an invalid size ", storage->numel));
    }
    return storage;
  }

  absl::Status MakeTuple(size_t n) {
    Ref t = Make(Obj::kTuple);
    if (stack_.size() < Floor() + n) return Error("tuple from too few objects");
    t->items.assign(stack_.end() - n, stack_.end());
    stack_.resize(stack_.size() - n);
    return Push(std::move(t));
  }

  absl::Status Step(bool* stop) {
    switch (op_) {
      case 0x80: {  // PROTO
        GENESIS_ASSIGN_OR_RETURN(uint8_t version, ReadLittle<uint8_t>(1));
        if (version > 5) return Error(absl::StrCat("pickle protocol ", int{version}));
        return absl::OkStatus();
      }
      case 0x95:  // FRAME
        return ReadLittle<uint64_t>(8).status();
      case '.':  // STOP
        *stop = true;
        return absl::OkStatus();
      case 'c': {  // GLOBAL
        GENESIS_ASSIGN_OR_RETURN(std::string module, ReadLine());
        GENESIS_ASSIGN_OR_RETURN(std::string name, ReadLine());
        return Global(module, name);
      }
      case 0x93: {  // STACK_GLOBAL
        GENESIS_ASSIGN_OR_RETURN(Ref name, Pop());
        GENESIS_ASSIGN_OR_RETURN(Ref module, Pop());
        if (name->kind != Obj::kStr || module->kind != Obj::kStr) {
          return Error("STACK_GLOBAL needs two strings");
        }
        return Global(module->s, name->s);
      }
      case 'q': {  // BINPUT
        GENESIS_ASSIGN_OR_RETURN(uint32_t index, ReadLittle<uint32_t>(1));
        return Put(index);
      }
      case 'r': {  // LONG_BINPUT
        GENESIS_ASSIGN_OR_RETURN(uint32_t index, ReadLittle<uint32_t>(4));
        return Put(index);
      }
      case 0x94:  // MEMOIZE
        return Put(static_cast<uint32_t>(memo_.size()));
      case 'h': {  // BINGET
        GENESIS_ASSIGN_OR_RETURN(uint32_t index, ReadLittle<uint32_t>(1));
        return Get(index);
      }
      case 'j': {  // LONG_BINGET
        GENESIS_ASSIGN_OR_RETURN(uint32_t index, ReadLittle<uint32_t>(4));
        return Get(index);
      }
      case '(':  // MARK
        if (marks_.size() >= kMaxStack) return Error("too many MARKs");
        marks_.push_back(stack_.size());
        return absl::OkStatus();
      case '0':  // POP
        return Pop().status();
      case '1':  // POP_MARK
        return PopToMark().status();
      case '2': {  // DUP
        if (stack_.size() <= Floor()) return Error("DUP on an empty stack");
        return Push(stack_.back());
      }
      case ')':  // EMPTY_TUPLE
        return Push(Make(Obj::kTuple));
      case 0x85:  // TUPLE1
        return MakeTuple(1);
      case 0x86:  // TUPLE2
        return MakeTuple(2);
      case 0x87:  // TUPLE3
        return MakeTuple(3);
      case 't': {  // TUPLE
        GENESIS_ASSIGN_OR_RETURN(std::vector<Ref> items, PopToMark());
        Ref t = Make(Obj::kTuple);
        t->items = std::move(items);
        return Push(std::move(t));
      }
      case ']':  // EMPTY_LIST
        return Push(Make(Obj::kList));
      case 'l': {  // LIST
        GENESIS_ASSIGN_OR_RETURN(std::vector<Ref> items, PopToMark());
        Ref l = Make(Obj::kList);
        l->items = std::move(items);
        return Push(std::move(l));
      }
      case 'a': {  // APPEND
        GENESIS_ASSIGN_OR_RETURN(Ref item, Pop());
        if (stack_.size() <= Floor() || stack_.back()->kind != Obj::kList) {
          return Error("APPEND without a list");
        }
        stack_.back()->items.push_back(std::move(item));
        return absl::OkStatus();
      }
      case 'e': {  // APPENDS
        GENESIS_ASSIGN_OR_RETURN(std::vector<Ref> items, PopToMark());
        if (stack_.size() <= Floor() || stack_.back()->kind != Obj::kList) {
          return Error("APPENDS without a list");
        }
        auto& dst = stack_.back()->items;
        dst.insert(dst.end(), items.begin(), items.end());
        return absl::OkStatus();
      }
      case '}':  // EMPTY_DICT
        return Push(Make(Obj::kDict));
      case 'd': {  // DICT
        GENESIS_ASSIGN_OR_RETURN(std::vector<Ref> kv, PopToMark());
        Ref d = Make(Obj::kDict);
        GENESIS_RETURN_IF_ERROR(SetItems(d, kv));
        return Push(std::move(d));
      }
      case 's': {  // SETITEM
        GENESIS_ASSIGN_OR_RETURN(Ref value, Pop());
        GENESIS_ASSIGN_OR_RETURN(Ref key, Pop());
        if (stack_.size() <= Floor()) return Error("SETITEM without a dict");
        return SetItems(stack_.back(), {key, value});
      }
      case 'u': {  // SETITEMS
        GENESIS_ASSIGN_OR_RETURN(std::vector<Ref> kv, PopToMark());
        if (stack_.size() <= Floor()) return Error("SETITEMS without a dict");
        return SetItems(stack_.back(), kv);
      }
      case 'X':     // BINUNICODE
      case 0x8c:    // SHORT_BINUNICODE
      case 0x8d:    // BINUNICODE8
      case 'T':     // BINSTRING
      case 'U':     // SHORT_BINSTRING
      case 'B':     // BINBYTES
      case 'C':     // SHORT_BINBYTES
      case 0x8e: {  // BINBYTES8
        const size_t width = (op_ == 0x8c || op_ == 'U' || op_ == 'C') ? 1
                             : (op_ == 0x8d || op_ == 0x8e)            ? 8
                                                                       : 4;
        GENESIS_ASSIGN_OR_RETURN(uint64_t n, ReadLittle<uint64_t>(width));
        Ref s = Make((op_ == 'B' || op_ == 'C' || op_ == 0x8e) ? Obj::kBytes : Obj::kStr);
        GENESIS_ASSIGN_OR_RETURN(s->s, ReadBytes(n));
        return Push(std::move(s));
      }
      case 'J': {  // BININT
        GENESIS_ASSIGN_OR_RETURN(uint32_t v, ReadLittle<uint32_t>(4));
        Ref i = Make(Obj::kInt);
        i->i = static_cast<int32_t>(v);
        return Push(std::move(i));
      }
      case 'K':    // BININT1
      case 'M': {  // BININT2
        GENESIS_ASSIGN_OR_RETURN(uint32_t v, ReadLittle<uint32_t>(op_ == 'K' ? 1 : 2));
        Ref i = Make(Obj::kInt);
        i->i = v;
        return Push(std::move(i));
      }
      case 0x8a: {  // LONG1
        GENESIS_ASSIGN_OR_RETURN(uint32_t n, ReadLittle<uint32_t>(1));
        if (n > 8) {
          Ref big = Make(Obj::kBigInt);
          GENESIS_ASSIGN_OR_RETURN(big->s, ReadBytes(n));
          return Push(std::move(big));
        }
        GENESIS_ASSIGN_OR_RETURN(uint64_t v, ReadLittle<uint64_t>(n));
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // Sign.
        Ref i = Make(Obj::kInt);
        i->i = static_cast<int64_t>(v);
        return Push(std::move(i));
      }
      case 'G': {  // BINFLOAT (big endian)
        GENESIS_RETURN_IF_ERROR(Need(8));
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) {
          bits = (bits << 8) | static_cast<unsigned char>(data_[pos_ + k]);
        }
        pos_ += 8;
        Ref f = Make(Obj::kFloat);
        std::memcpy(&f->f, &bits, sizeof(bits));
        return Push(std::move(f));
      }
      case 0x88:    // NEWTRUE
      case 0x89: {  // NEWFALSE
        Ref b = Make(Obj::kBool);
        b->i = op_ == 0x88;
        return Push(std::move(b));
      }
      case 'N':  // NONE
        return Push(Make(Obj::kNone));
      case 'R': {  // REDUCE
        GENESIS_ASSIGN_OR_RETURN(Ref args, Pop());
        GENESIS_ASSIGN_OR_RETURN(Ref callable, Pop());
        GENESIS_ASSIGN_OR_RETURN(Ref result, Call(callable, args));
        return Push(std::move(result));
      }
      case 'b': {  // BUILD: only the OrderedDict's `_metadata` attribute (kept out).
        GENESIS_ASSIGN_OR_RETURN(Ref state, Pop());
        if (stack_.size() <= Floor()) return Error("BUILD without an object");
        const Ref& target = stack_.back();
        if (target->kind != Obj::kDict ||
            (state->kind != Obj::kDict && state->kind != Obj::kNone)) {
          return Error(absl::StrCat("BUILD of a ", KindName(target->kind), " with a ",
                                    KindName(state->kind), " state"));
        }
        return absl::OkStatus();
      }
      case 'Q': {  // BINPERSID
        GENESIS_ASSIGN_OR_RETURN(Ref pid, Pop());
        GENESIS_ASSIGN_OR_RETURN(Ref storage, PersistentLoad(pid));
        return Push(std::move(storage));
      }
      default:
        return Error("unsupported pickle opcode");
    }
  }

  ObjArena* arena_;
  absl::string_view data_;
  std::string source_;
  std::string label_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  unsigned char op_ = 0;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, Ref> memo_;
};

// offset + sum((size - 1) * stride) < storage numel, without overflow.
absl::Status CheckView(const PickledTensor& t, absl::string_view source) {
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": tensor '", t.name, "' ", what));
  };
  if (t.storage_offset < 0) return error("has a negative storage offset");
  int64_t last = t.storage_offset;
  for (size_t d = 0; d < t.sizes.size(); ++d) {
    if (t.sizes[d] == 0)
      return t.storage_offset <= t.storage_numel ? absl::OkStatus()
                                                 : error("has a storage offset past its storage");
    int64_t step = 0;
    if (__builtin_mul_overflow(t.sizes[d] - 1, t.strides[d], &step) ||
        __builtin_add_overflow(last, step, &last)) {
      return error("has sizes and strides that overflow");
    }
  }
  if (last >= t.storage_numel) {
    return error(absl::StrCat("reads element ", last, " of storage '", t.storage_key,
                              "' which holds ", t.storage_numel, " (corrupt file?)"));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

absl::StatusOr<std::vector<PickledTensor>> TensorsOf(const Ref& root, absl::string_view source) {
  if (root->kind != Obj::kDict) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the pickled object is a ", KindName(root->kind),
                     ", expected a state_dict (a dict of name -> tensor)"));
  }
  std::vector<PickledTensor> tensors;
  absl::flat_hash_set<std::string> names;
  // Views of one storage must agree on what it is: the legacy reader sizes the storage's bytes
  // from the first view, and a later view claiming more elements would read past them.
  std::map<std::string, std::pair<StorageDtype, int64_t>> storages;
  for (const auto& [key, value] : root->entries) {
    if (key->kind != Obj::kStr) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": state_dict key is a ", KindName(key->kind), ", expected str"));
    }
    if (value->kind != Obj::kTensor) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": state_dict entry '", key->s, "' is a ", KindName(value->kind),
          ", expected a tensor (is this a training checkpoint rather than a state_dict? save "
          "model.state_dict())"));
    }
    if (!names.insert(key->s).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": state_dict key '", key->s, "' appears twice"));
    }
    PickledTensor t;
    t.name = key->s;
    t.dtype = value->storage->dtype;
    t.storage_key = value->storage->s;
    t.storage_numel = value->storage->numel;
    t.storage_offset = value->offset;
    t.sizes = value->sizes;
    t.strides = value->strides;
    GENESIS_RETURN_IF_ERROR(CheckView(t, source));
    const auto [storage, first] =
        storages.emplace(t.storage_key, std::make_pair(t.dtype, t.storage_numel));
    if (!first && storage->second != std::make_pair(t.dtype, t.storage_numel)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": storage '", t.storage_key, "' is pickled as ", storage->second.second, " x ",
          StorageDtypeName(storage->second.first), " and, for tensor '", t.name, "', as ",
          t.storage_numel, " x ", StorageDtypeName(t.dtype), " (corrupt file?)"));
    }
    tensors.push_back(std::move(t));
  }
  return tensors;
}

}  // namespace

absl::StatusOr<std::vector<PickledTensor>> ParseStateDictPickle(absl::string_view pickle,
                                                                absl::string_view source) {
  ObjArena arena;
  Unpickler unpickler(&arena, pickle, source);
  GENESIS_ASSIGN_OR_RETURN(Ref root, unpickler.Run());
  return TensorsOf(root, source);
}

absl::StatusOr<LegacyStateDict> ParseLegacyStateDict(absl::string_view file,
                                                     absl::string_view source) {
  // torch/serialization.py _legacy_save: magic number, protocol version, sys info, the object,
  // the storage keys (each a pickle), then per key: int64 element count + raw little-endian data.
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": legacy torch.save file: ", what));
  };
  size_t pos = 0;
  ObjArena arena;
  std::vector<Ref> pickles;
  for (int k = 0; k < 5; ++k) {
    Unpickler unpickler(&arena, file, source, pos, "legacy pickle");
    GENESIS_ASSIGN_OR_RETURN(Ref object, unpickler.Run());
    pickles.push_back(object);
    pos = unpickler.end();
  }
  static constexpr char kMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
  if (pickles[0]->kind != Obj::kBigInt || pickles[0]->s != std::string(kMagic, 10)) {
    return error("wrong magic number");
  }
  if (pickles[1]->kind != Obj::kInt || pickles[1]->i != 1001) {
    return error("unsupported protocol version");
  }
  LegacyStateDict result;
  GENESIS_ASSIGN_OR_RETURN(result.tensors, TensorsOf(pickles[3], source));
  std::map<std::string, const PickledTensor*> by_key;
  for (const PickledTensor& t : result.tensors) by_key.emplace(t.storage_key, &t);
  if (pickles[4]->kind != Obj::kList) return error("no storage key list");
  for (const Ref& key : pickles[4]->items) {
    if (key->kind != Obj::kStr) return error("storage key is not a string");
    auto it = by_key.find(key->s);
    if (it == by_key.end()) return error(absl::StrCat("storage '", key->s, "' is not used"));
    if (file.size() - pos < 8) return error("truncated before a storage");
    int64_t numel = 0;
    for (int b = 7; b >= 0; --b) {
      numel = (numel << 8) | static_cast<unsigned char>(file[pos + b]);
    }
    pos += 8;
    if (numel != it->second->storage_numel) {
      return error(absl::StrCat("storage '", key->s, "' holds ", numel, " elements, pickled as ",
                                it->second->storage_numel));
    }
    const uint64_t bytes = static_cast<uint64_t>(numel) * StorageDtypeSize(it->second->dtype);
    if (file.size() - pos < bytes) {
      return error(absl::StrCat("storage '", key->s, "' needs ", bytes, " bytes, ",
                                file.size() - pos, " left (truncated file?)"));
    }
    if (!result.storages.emplace(key->s, std::make_pair(pos, bytes)).second) {
      return error(absl::StrCat("storage '", key->s, "' appears twice"));
    }
    pos += bytes;
  }
  for (const auto& [key, tensor] : by_key) {
    if (result.storages.count(key) == 0) {
      return error(absl::StrCat("no data for storage '", key, "' of tensor '", tensor->name,
                                "' (truncated file?)"));
    }
  }
  return result;
}

}  // namespace genesis
