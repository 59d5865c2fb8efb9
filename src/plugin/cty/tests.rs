//! Hand-made wire vectors for each kind of value, then property tests: round-trips are
//! identities and no input makes a decoder panic.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::Config;

use super::*;

fn obj(attrs: &[(&str, Type)]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect(),
    )
}

fn num(text: &str) -> Number {
    text.parse().unwrap()
}

fn list(t: Type) -> Type {
    Type::List(Box::new(t))
}

// ---- Number -------------------------------------------------------------------------

#[test]
fn numbers_parse_and_print_canonically() {
    for (input, shown) in [
        ("0", "0"),
        ("-0.0", "0"),
        ("007", "7"),
        ("1.50", "1.5"),
        (".5", "0.5"),
        ("5.", "5"),
        ("-2.5E-3", "-0.0025"),
        ("+12e2", "1200"),
        (
            "123456789012345678901234567890.000000000000000000001",
            "123456789012345678901234567890.000000000000000000001",
        ),
    ] {
        assert_eq!(num(input).to_string(), shown, "{input}");
    }
    assert_eq!(num("1e400").to_string(), format!("1{}", "0".repeat(400)));
    for bad in [
        "", "-", ".", "e5", "1e", "1e+", "0x10", "1.2.3", "inf", "NaN", " 1", "1e10001",
    ] {
        assert!(bad.parse::<Number>().is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn numbers_compare_exactly() {
    assert!(num("0.1") < num("0.10000000000000000001"));
    assert!(num("-1e400") < num("-1") && num("-1") < num("0") && num("0") < num("1e-400"));
    assert!(num("10") > num("9.99999"));
    assert_eq!(num("1.0"), num("1"));
    assert_eq!(num("100"), Number::from_i64(100));
}

#[test]
fn numbers_convert() {
    assert_eq!(Number::from_i64(i64::MIN).as_i64(), Some(i64::MIN));
    assert_eq!(Number::from_u64(u64::MAX).as_i64(), None);
    assert_eq!(Number::from_u64(u64::MAX).as_u64(), Some(u64::MAX));
    assert_eq!(num("1.5").as_i64(), None);
    assert_eq!(num("1e18").as_i64(), Some(1_000_000_000_000_000_000));
    assert_eq!(num("1e19").as_i64(), None);
    assert_eq!(num("1e400").as_f64(), f64::INFINITY);
    assert_eq!(num("0.1").as_f64(), 0.1);
    // A float's exact binary value, not its shortest rendering.
    assert_eq!(
        Number::from_f64(0.1).unwrap().to_string(),
        "0.1000000000000000055511151231257827021181583404541015625"
    );
    assert_eq!(
        Number::from_f64(-3.0e20).unwrap().to_string(),
        "-300000000000000000000"
    );
    assert!(Number::from_f64(f64::MIN_POSITIVE / 4.0)
        .unwrap()
        .is_exact_f64());
    assert!(!num("0.1").is_exact_f64());
    assert!(Number::from_f64(f64::NAN).is_none());
}

// ---- Value helpers ------------------------------------------------------------------

#[test]
fn value_helpers() {
    let unknown = Value::Unknown(Box::default());
    let s = |x: &str| Value::String(x.into());
    let set_a = Value::Set(vec![
        Value::Set(vec![s("a"), s("b")]),
        Value::Set(vec![s("c")]),
    ]);
    let set_b = Value::Set(vec![
        Value::Set(vec![s("c")]),
        Value::Set(vec![s("b"), s("a")]),
    ]);
    assert!(set_a.same_as(&set_b));
    assert!(!set_a.same_as(&Value::Set(vec![
        Value::Set(vec![s("c")]),
        Value::Set(vec![s("a"), s("a")])
    ])));
    // Lists stay ordered.
    assert!(!Value::List(vec![s("a"), s("b")]).same_as(&Value::List(vec![s("b"), s("a")])));
    let nested = Value::Dynamic(
        Box::new(list(Type::String)),
        Box::new(Value::List(vec![unknown.clone()])),
    );
    assert!(!nested.is_known() && !nested.is_unknown() && !nested.is_null());
    assert!(Value::Null.is_known() && unknown.is_unknown());
    let object = Value::Object(BTreeMap::from([("id".to_string(), s("x"))]));
    assert_eq!(object.attr("id"), &s("x"));
    assert!(object.attr("nope").is_null());
    assert!(s("x").attr("id").is_null());
    let dynamic = Value::Dynamic(
        Box::new(obj(&[("id", Type::String)])),
        Box::new(object.clone()),
    );
    assert_eq!(dynamic.attr("id"), &s("x"));
}

// ---- msgpack vectors ----------------------------------------------------------------

fn mp_roundtrip(bytes: &[u8], ty: &Type, expected: Value) {
    let decoded = msgpack::decode(bytes, ty).unwrap();
    assert_eq!(decoded, expected);
    assert_eq!(msgpack::encode(&decoded, ty).unwrap(), bytes);
}

#[test]
fn msgpack_primitives() {
    mp_roundtrip(&[0xc0], &Type::String, Value::Null);
    mp_roundtrip(&[0xc3], &Type::Bool, Value::Bool(true));
    mp_roundtrip(
        &[0xa2, b'h', b'i'],
        &Type::String,
        Value::String("hi".into()),
    );
    mp_roundtrip(&[0x2a], &Type::Number, Value::Number(Number::from_i64(42)));
    mp_roundtrip(&[0xff], &Type::Number, Value::Number(Number::from_i64(-1)));
    mp_roundtrip(
        &[0xd1, 0xfc, 0x18],
        &Type::Number,
        Value::Number(Number::from_i64(-1000)),
    );
    mp_roundtrip(
        &[0xcd, 0x03, 0xe8],
        &Type::Number,
        Value::Number(Number::from_i64(1000)),
    );
    let mut half = vec![0xcb];
    half.extend_from_slice(&0.5f64.to_be_bytes());
    mp_roundtrip(&half, &Type::Number, Value::Number(num("0.5")));
    // Other encodings Terraform may choose decode to the same values.
    let v = msgpack::decode(&[0xd0, 0x05], &Type::Number).unwrap();
    assert_eq!(v, Value::Number(Number::from_i64(5)));
    let v = msgpack::decode(&[0xca, 0x3f, 0x00, 0x00, 0x00], &Type::Number).unwrap();
    assert_eq!(v, Value::Number(num("0.5")));
    let v = msgpack::decode(&[0xc4, 0x01, b'x'], &Type::String).unwrap();
    assert_eq!(v, Value::String("x".into()));
}

#[test]
fn msgpack_numbers_keep_precision() {
    // Terraform sends numbers that fit neither i64 nor f64 as decimal strings.
    let big = format!("1{}", "0".repeat(400));
    let mut bytes = vec![0xda, 0x01, 0x91];
    bytes.extend_from_slice(big.as_bytes());
    mp_roundtrip(&bytes, &Type::Number, Value::Number(num("1e400")));
    mp_roundtrip(
        &[0xa3, b'0', b'.', b'1'],
        &Type::Number,
        Value::Number(num("0.1")),
    );
    let mut u64_max = vec![0xb4];
    u64_max.extend_from_slice(b"18446744073709551615");
    mp_roundtrip(
        &u64_max,
        &Type::Number,
        Value::Number(Number::from_u64(u64::MAX)),
    );
    let v = msgpack::decode(
        &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &Type::Number,
    );
    assert_eq!(v.unwrap(), Value::Number(Number::from_u64(u64::MAX)));
    // A float that is exactly 0.1's binary value goes back as that float.
    let mut tenth = vec![0xcb];
    tenth.extend_from_slice(&0.1f64.to_be_bytes());
    mp_roundtrip(
        &tenth,
        &Type::Number,
        Value::Number(Number::from_f64(0.1).unwrap()),
    );
}

#[test]
fn msgpack_unknown_as_terraform_sends_it() {
    let ty = obj(&[("id", Type::String), ("size", Type::Number)]);
    // {"id": <unknown>, "size": 3}
    let bytes = [
        0x82, 0xa2, b'i', b'd', 0xd4, 0x00, 0x00, 0xa4, b's', b'i', b'z', b'e', 0x03,
    ];
    let expected = Value::Object(BTreeMap::from([
        ("id".to_string(), Value::Unknown(Box::default())),
        ("size".to_string(), Value::Number(Number::from_i64(3))),
    ]));
    mp_roundtrip(&bytes, &ty, expected.clone());
    assert!(!expected.is_known() && expected.attr("id").is_unknown());
    // Any other extension type or payload is an unknown too.
    let v = msgpack::decode(&[0xc7, 0x00, 0x05], &Type::Bool).unwrap();
    assert_eq!(v, Value::Unknown(Box::default()));
}

#[test]
fn msgpack_refined_unknown_string() {
    // ext 12, payload {1: false, 2: "ab"}: not null, starts with "ab".
    let bytes = [0xc7, 0x07, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa2, b'a', b'b'];
    let refinements = Refinements {
        not_null: true,
        string_prefix: Some("ab".into()),
        ..Default::default()
    };
    mp_roundtrip(
        &bytes,
        &Type::String,
        Value::Unknown(Box::new(refinements.clone())),
    );
    // The same refinements against a number keep only what applies to numbers.
    let v = msgpack::decode(&bytes, &Type::Number).unwrap();
    assert_eq!(
        v,
        Value::Unknown(Box::new(Refinements {
            not_null: true,
            ..Default::default()
        }))
    );
    // Unknown keys are skipped, whatever their value.
    let bytes = [0xc7, 0x07, 0x0c, 0x82, 0x63, 0x92, 0x01, 0x80, 0x01, 0xc2];
    let v = msgpack::decode(&bytes, &Type::String).unwrap();
    assert_eq!(
        v,
        Value::Unknown(Box::new(Refinements {
            not_null: true,
            ..Default::default()
        }))
    );
    // A malformed refinement map leaves a plain unknown.
    let v = msgpack::decode(&[0xd5, 0x0c, 0x81, 0x02], &Type::String).unwrap();
    assert_eq!(v, Value::Unknown(Box::default()));
}

#[test]
fn msgpack_refined_unknown_bounds() {
    // {3: [0, true], 4: ["1e400" as decimal, false]} on a number
    let refinements = Refinements {
        number_lower: Some((Number::from_i64(0), true)),
        number_upper: Some((num("1e400"), false)),
        ..Default::default()
    };
    let v = Value::Unknown(Box::new(refinements));
    let bytes = msgpack::encode(&v, &Type::Number).unwrap();
    assert_eq!(&bytes[..3], &[0xc8, 0x01, 0x9c]);
    assert_eq!(&bytes[3..9], &[0x0c, 0x82, 0x03, 0x92, 0x00, 0xc3]);
    assert_eq!(msgpack::decode(&bytes, &Type::Number).unwrap(), v);
    // {5: 1, 6: 10} on a list
    let bytes = [0xc7, 0x05, 0x0c, 0x82, 0x05, 0x01, 0x06, 0x0a];
    let refinements = Refinements {
        length_lower: Some(1),
        length_upper: Some(10),
        ..Default::default()
    };
    mp_roundtrip(
        &bytes,
        &list(Type::String),
        Value::Unknown(Box::new(refinements)),
    );
    // Refinements that do not apply to the type are dropped when encoding.
    let v = Value::Unknown(Box::new(Refinements {
        string_prefix: Some("x".into()),
        ..Default::default()
    }));
    assert_eq!(msgpack::encode(&v, &Type::Number).unwrap(), [0xd4, 0, 0]);
}

#[test]
fn msgpack_collections() {
    let ty = obj(&[
        ("labels", Type::Map(Box::new(Type::String))),
        ("ports", Type::Set(Box::new(Type::Number))),
        ("pair", Type::Tuple(vec![Type::Bool, Type::String])),
    ]);
    let bytes = [
        0x83, // 3 attributes, sorted
        0xa6, b'l', b'a', b'b', b'e', b'l', b's', 0x81, 0xa3, b'e', b'n', b'v', 0xa1, b'p', 0xa4,
        b'p', b'a', b'i', b'r', 0x92, 0xc2, 0xc0, 0xa5, b'p', b'o', b'r', b't', b's', 0x92, 0x16,
        0xcd, 0x01, 0xbb,
    ];
    let expected = Value::Object(BTreeMap::from([
        (
            "labels".into(),
            Value::Map(BTreeMap::from([("env".into(), Value::String("p".into()))])),
        ),
        (
            "pair".into(),
            Value::Tuple(vec![Value::Bool(false), Value::Null]),
        ),
        (
            "ports".into(),
            Value::Set(vec![Value::Number(22.into()), Value::Number(443.into())]),
        ),
    ]));
    mp_roundtrip(&bytes, &ty, expected.clone());
    let reordered = Value::Object(BTreeMap::from([
        ("labels".into(), expected.attr("labels").clone()),
        ("pair".into(), expected.attr("pair").clone()),
        (
            "ports".into(),
            Value::Set(vec![Value::Number(443.into()), Value::Number(22.into())]),
        ),
    ]));
    assert!(expected.same_as(&reordered) && expected != reordered);
    // Omitted attributes decode as null.
    let v = msgpack::decode(&[0x81, 0xa4, b'p', b'a', b'i', b'r', 0xc0], &ty).unwrap();
    assert!(has_null(&v, "labels"), "{v:?}");
}

#[test]
fn msgpack_dynamic() {
    // ["\"string\"" as bin, "hi"]
    let mut bytes = vec![0x92, 0xc4, 0x08];
    bytes.extend_from_slice(b"\"string\"");
    bytes.extend_from_slice(&[0xa2, b'h', b'i']);
    let expected = Value::Dynamic(Box::new(Type::String), Box::new(Value::String("hi".into())));
    mp_roundtrip(&bytes, &Type::Dynamic, expected);
    // A whole object inside a dynamic attribute.
    let inner_ty = obj(&[("a", list(Type::Number))]);
    let v = Value::Dynamic(
        Box::new(inner_ty.clone()),
        Box::new(Value::Object(BTreeMap::from([(
            "a".into(),
            Value::List(vec![Value::Number(num("1e400"))]),
        )]))),
    );
    let bytes = msgpack::encode(&v, &Type::Dynamic).unwrap();
    assert_eq!(msgpack::decode(&bytes, &Type::Dynamic).unwrap(), v);
    // Unknown and null without a type, as Terraform sends for a dynamic unknown/null.
    mp_roundtrip(
        &[0xd4, 0, 0],
        &Type::Dynamic,
        Value::Unknown(Box::default()),
    );
    mp_roundtrip(&[0xc0], &Type::Dynamic, Value::Null);
    // A bare value in a dynamic position cannot be written: its type would be lost.
    assert!(msgpack::encode(&Value::Bool(true), &Type::Dynamic).is_err());
}

#[test]
fn msgpack_objects_in_any_order() {
    let ty = obj(&[("a", Type::Bool), ("b", Type::Bool), ("c", Type::Bool)]);
    let expect = |a: Value, b: Value, c: Value| {
        Value::Object(BTreeMap::from([
            ("a".to_string(), a),
            ("b".to_string(), b),
            ("c".to_string(), c),
        ]))
    };
    let (t, f) = (Value::Bool(true), Value::Bool(false));
    // In the type's order (as Terraform writes), out of order, and with omissions (null).
    let in_order = [0x83, 0xa1, b'a', 0xc3, 0xa1, b'b', 0xc2, 0xa1, b'c', 0xc3];
    let reversed = [0x83, 0xa1, b'c', 0xc3, 0xa1, b'b', 0xc2, 0xa1, b'a', 0xc3];
    let (c_then_a, only_b) = (
        [0x82, 0xa1, b'c', 0xc2, 0xa1, b'a', 0xc3],
        [0x81, 0xa1, b'b', 0xc3],
    );
    let all = expect(t.clone(), f.clone(), t.clone());
    assert_eq!(msgpack::decode(&in_order, &ty).unwrap(), all);
    assert_eq!(msgpack::decode(&reversed, &ty).unwrap(), all);
    let partial = expect(t.clone(), Value::Null, f.clone());
    assert_eq!(msgpack::decode(&c_then_a, &ty).unwrap(), partial);
    let single = expect(Value::Null, t.clone(), Value::Null);
    assert_eq!(msgpack::decode(&only_b, &ty).unwrap(), single);
    // A key given twice, in order or not, is refused and named.
    for twice in [
        [0x83, 0xa1, b'a', 0xc3, 0xa1, b'b', 0xc2, 0xa1, b'b', 0xc3],
        [0x83, 0xa1, b'b', 0xc3, 0xa1, b'a', 0xc2, 0xa1, b'b', 0xc3],
    ] {
        let err = msgpack::decode(&twice, &ty).unwrap_err();
        assert_eq!(err.to_string(), "at .b: duplicate key");
    }
}

#[test]
fn msgpack_errors_name_the_path() {
    let ty = obj(&[("labels", Type::Map(Box::new(Type::String)))]);
    let bytes = [
        0x81, 0xa6, b'l', b'a', b'b', b'e', b'l', b's', 0x81, 0xa3, b'e', b'n', b'v', 0x05,
    ];
    let err = msgpack::decode(&bytes, &ty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at .labels[\"env\"]: expected a string, found a number"
    );
    let err = msgpack::decode(&[0x81, 0xa1, b'x', 0xc0], &ty).unwrap_err();
    assert_eq!(err.to_string(), "at .x: unsupported attribute");
    let err = msgpack::decode(&[0x91, 0xc0, 0xc0], &list(Type::Bool)).unwrap_err();
    assert_eq!(err.to_string(), "unexpected bytes after the value");
    let v = Value::List(vec![Value::Null, Value::String("x".into())]);
    let err = msgpack::encode(&v, &list(Type::Bool)).unwrap_err();
    assert_eq!(err.to_string(), "at [1]: expected a bool");
}

#[test]
fn msgpack_hostile_input_is_bounded() {
    // Dynamic values nested 10,000 deep, each a list holding the next one.
    let mut bytes = Vec::new();
    for _ in 0..10_000 {
        bytes.extend_from_slice(&[0x92, 0xc4, 0x12]);
        bytes.extend_from_slice(b"[\"list\",\"dynamic\"]");
        bytes.push(0x91);
    }
    let err = msgpack::decode(&bytes, &Type::Dynamic).unwrap_err();
    assert!(err.message.contains("nested deeper"), "{err}");
    let nested: Vec<u8> = std::iter::repeat_n(0x91, 100_000).collect();
    let mut ty = Type::Bool;
    for _ in 0..200 {
        ty = list(ty);
    }
    assert!(msgpack::decode(&nested, &ty).is_err());
    // A header claiming four billion elements must not allocate for them.
    let err =
        msgpack::decode(&[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0], &list(Type::Bool)).unwrap_err();
    assert!(err.message.contains("truncated"), "{err}");
    // A dynamic value whose type is "dynamic" is refused.
    let mut bytes = vec![0x92, 0xc4, 0x09];
    bytes.extend_from_slice(b"\"dynamic\"");
    bytes.push(0xc0);
    assert!(msgpack::decode(&bytes, &Type::Dynamic).is_err());
}

// ---- JSON vectors -------------------------------------------------------------------

#[test]
fn json_keeps_number_precision() {
    let ty = obj(&[
        ("big", Type::Number),
        ("tenth", Type::Number),
        ("long", Type::Number),
    ]);
    let text = br#"{"big": 1e400, "tenth": 0.1, "long": 123456789012345678901234567890.5}"#;
    let v = json::decode(text, &ty).unwrap();
    assert_eq!(v.attr("big"), &Value::Number(num("1e400")));
    assert_eq!(v.attr("tenth"), &Value::Number(num("0.1")));
    let out = String::from_utf8(json::encode(&v, &ty).unwrap()).unwrap();
    assert_eq!(
        out,
        format!(
            r#"{{"big":1{},"long":123456789012345678901234567890.5,"tenth":0.1}}"#,
            "0".repeat(400)
        )
    );
    assert_eq!(json::decode(out.as_bytes(), &ty).unwrap(), v);
}

#[test]
fn json_values() {
    let ty = obj(&[
        ("name", Type::String),
        ("tags", Type::Set(Box::new(Type::String))),
        ("extra", Type::Dynamic),
        ("on", Type::Bool),
    ]);
    let text = br#"{"name":"a\"\u00e9\ud83d\ude00","tags":["x","y"],"extra":{"value":[1,"z"],"type":["tuple",["number","string"]]},"on":null}"#;
    let v = json::decode(text, &ty).unwrap();
    assert_eq!(v.attr("name"), &Value::String("a\"é😀".into()));
    assert_eq!(
        v.attr("extra"),
        &Value::Dynamic(
            Box::new(Type::Tuple(vec![Type::Number, Type::String])),
            Box::new(Value::Tuple(vec![
                Value::Number(1.into()),
                Value::String("z".into())
            ]))
        )
    );
    let again = json::decode(&json::encode(&v, &ty).unwrap(), &ty).unwrap();
    assert!(again.same_as(&v));
    // Primitive conversions Terraform's own JSON decoder makes, for older state.
    let v = json::decode(br#"{"name":5,"on":"true","tags":[]}"#, &ty).unwrap();
    assert_eq!(v.attr("name"), &Value::String("5".into()));
    assert_eq!(v.attr("on"), &Value::Bool(true));
    assert!(has_null(&v, "extra"), "{v:?}");
    assert_eq!(
        json::decode(br#""2.50""#, &Type::Number).unwrap(),
        Value::Number(num("2.5"))
    );
}

#[test]
fn json_errors() {
    let ty = obj(&[("labels", Type::Map(Box::new(Type::Number)))]);
    let err = json::decode(br#"{"labels":{"env":"x"}}"#, &ty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at .labels[\"env\"]: not a finite decimal number within ±1e10000"
    );
    let err = json::encode(&Value::Unknown(Box::default()), &Type::String).unwrap_err();
    assert!(err.message.contains("unknown"));
    for bad in [
        &b"[1,]"[..],
        b"01",
        b"{\"a\" 1}",
        b"\"\\ud800\"",
        b"tru",
        b"1 2",
        b"\"\x01\"",
        b"",
    ] {
        assert!(json::decode(bad, &list(Type::Number)).is_err(), "{bad:?}");
    }
    let deep = "[".repeat(100_000);
    assert!(json::decode(deep.as_bytes(), &Type::Dynamic).is_err());
}

#[test]
fn json_can_skip_attributes_the_type_lacks_at_any_depth() {
    let inner = obj(&[("create", Type::String)]);
    let ty = obj(&[
        ("name", Type::String),
        ("timeouts", inner.clone()),
        ("rules", list(inner)),
        ("labels", Type::Map(Box::new(Type::String))),
    ]);
    let text = br#"{"name":"a","gone":{"x":[1]},"timeouts":{"create":"1m","read":"2m"},
        "rules":[{"create":"x","old":true}],"labels":{"gone":"kept: a map has no fixed keys"}}"#;
    let strict = json::decode(text, &ty).unwrap_err();
    assert_eq!(strict.to_string(), "at .gone: unsupported attribute");
    let lenient = json::DecodeOptions {
        ignore_unknown_attributes: true,
    };
    let v = json::decode_with(text, &ty, lenient).unwrap();
    let s = |t: &str| Value::String(t.into());
    let create = |t: &str| Value::Object(BTreeMap::from([("create".to_string(), s(t))]));
    assert_eq!(
        v,
        Value::Object(BTreeMap::from([
            ("name".to_string(), s("a")),
            ("timeouts".to_string(), create("1m")),
            ("rules".to_string(), Value::List(vec![create("x")])),
            (
                "labels".to_string(),
                Value::Map(BTreeMap::from([(
                    "gone".to_string(),
                    s("kept: a map has no fixed keys")
                )]))
            ),
        ]))
    );
    // Skipping is no licence for malformed JSON or wrong kinds where the type has a say.
    assert!(json::decode_with(br#"{"gone":[1,]}"#, &ty, lenient).is_err());
    assert!(json::decode_with(br#"{"name":[]}"#, &ty, lenient).is_err());
}

#[test]
fn type_json() {
    let ty = obj(&[
        ("a", list(Type::String)),
        ("b", Type::Tuple(vec![Type::Bool, Type::Dynamic])),
        ("c", Type::Map(Box::new(Type::Set(Box::new(Type::Number))))),
    ]);
    let text = r#"["object",{"a":["list","string"],"b":["tuple",["bool","dynamic"]],"c":["map",["set","number"]]}]"#;
    assert_eq!(String::from_utf8(ty.to_json_bytes()).unwrap(), text);
    assert_eq!(ty.to_string(), text);
    assert_eq!(Type::from_json_bytes(text.as_bytes()).unwrap(), ty);
    // Optional attributes (a type-constraint feature) are accepted and ignored.
    let with_optional = br#"["object",{"x":"string"},["x"]]"#;
    assert_eq!(
        Type::from_json_bytes(with_optional).unwrap(),
        obj(&[("x", Type::String)])
    );
    for bad in [
        &br#""int""#[..],
        br#"["list"]"#,
        br#"["list","string","x"]"#,
        br#"["object",[]]"#,
        b"3",
    ] {
        assert!(Type::from_json_bytes(bad).is_err());
    }
}

// ---- property tests -----------------------------------------------------------------

/// `cases` per test, or `POOLS_FUZZ_CASES` when set (a longer run; docs/reliability.md,
/// "Fuzzing").
fn config(cases: u32) -> Config {
    let cases =
        match std::env::var("POOLS_FUZZ_CASES") {
            Ok(text) => text.trim().replace('_', "").parse().unwrap_or_else(|_| {
                panic!("POOLS_FUZZ_CASES must be a whole number, not {text:?}")
            }),
            Err(_) => cases,
        };
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::Number),
        Just(Type::String),
        Just(Type::Dynamic)
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Type::List(Box::new(t))),
            inner.clone().prop_map(|t| Type::Set(Box::new(t))),
            inner.clone().prop_map(|t| Type::Map(Box::new(t))),
            prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..4).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<u64>().prop_map(Number::from_u64),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        ("-?[0-9]{1,40}(\\.[0-9]{1,40})?", -400i64..400)
            .prop_filter_map("in range", |(digits, exp)| format!("{digits}e{exp}")
                .parse()
                .ok()),
        Just(num("0.1")),
        Just(num("1e400")),
    ]
}

fn arb_refinements(ty: &Type) -> BoxedStrategy<Refinements> {
    let bound = || proptest::option::of((arb_number(), any::<bool>()));
    let collection = matches!(ty, Type::List(_) | Type::Set(_) | Type::Map(_));
    let not_null = any::<bool>().prop_map(move |not_null| Refinements {
        not_null,
        ..Default::default()
    });
    match ty {
        Type::Dynamic => Just(Refinements::default()).boxed(),
        Type::String => (not_null, proptest::option::of("\\PC{1,20}"))
            .prop_map(|(r, string_prefix)| Refinements { string_prefix, ..r })
            .boxed(),
        Type::Number => (not_null, bound(), bound())
            .prop_map(|(r, number_lower, number_upper)| Refinements {
                number_lower,
                number_upper,
                ..r
            })
            .boxed(),
        _ if collection => (
            not_null,
            proptest::option::of(1u64..1000),
            proptest::option::of(any::<u64>()),
        )
            .prop_map(|(r, length_lower, length_upper)| Refinements {
                length_lower,
                length_upper,
                ..r
            })
            .boxed(),
        _ => not_null.boxed(),
    }
}

/// Values of `ty`, with unknowns if asked; `nesting` bounds the types that dynamic
/// positions may bring along.
fn arb_value(ty: &Type, unknowns: bool, nesting: u32) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Dynamic if nesting == 0 => Just(Value::Null).boxed(),
        Type::Dynamic => arb_type()
            .prop_filter("concrete", |t| *t != Type::Dynamic)
            .prop_flat_map(move |t| {
                arb_value(&t, unknowns, nesting - 1)
                    .prop_map(move |v| Value::Dynamic(Box::new(t.clone()), Box::new(v)))
            })
            .boxed(),
        Type::List(e) => prop::collection::vec(arb_value(e, unknowns, nesting), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(e) => prop::collection::vec(arb_value(e, unknowns, nesting), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(e) => {
            prop::collection::btree_map(".{0,5}", arb_value(e, unknowns, nesting), 0..4)
                .prop_map(Value::Map)
                .boxed()
        }
        Type::Object(attrs) => {
            let names: Vec<String> = attrs.keys().cloned().collect();
            let values: Vec<_> = attrs
                .values()
                .map(|t| arb_value(t, unknowns, nesting))
                .collect();
            values
                .prop_map(move |vs| Value::Object(names.iter().cloned().zip(vs).collect()))
                .boxed()
        }
        Type::Tuple(ts) => {
            let values: Vec<_> = ts.iter().map(|t| arb_value(t, unknowns, nesting)).collect();
            values.prop_map(Value::Tuple).boxed()
        }
    };
    match unknowns {
        true => prop_oneof![
            1 => Just(Value::Null),
            1 => arb_refinements(ty).prop_map(|r| Value::Unknown(Box::new(r))),
            6 => known,
        ]
        .boxed(),
        false => prop_oneof![1 => Just(Value::Null), 6 => known].boxed(),
    }
}

fn arb_typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| (Just(t.clone()), arb_value(&t, unknowns, 2)))
}

/// A decoded value must be writable again, and read back the same.
fn check_decoded(value: &Value, ty: &Type) -> Result<(), TestCaseError> {
    let bytes =
        msgpack::encode(value, ty).map_err(|e| TestCaseError::fail(format!("re-encode: {e}")))?;
    let again =
        msgpack::decode(&bytes, ty).map_err(|e| TestCaseError::fail(format!("re-decode: {e}")))?;
    prop_assert!(again.same_as(value));
    Ok(())
}

/// Bytes rich in msgpack markers for the types at hand, so that random input gets past
/// the first header often enough to exercise the decoder's depths.
fn msgpackish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let markers = vec![
        0x00, 0x01, 0x02, 0x05, 0x0c, 0x7f, 0x80, 0x81, 0x82, 0x90, 0x91, 0x92, 0xa0, 0xa1, 0xa2,
        0xc0, 0xc2, 0xc3, 0xc4, 0xc7, 0xca, 0xcb, 0xcc, 0xcf, 0xd3, 0xd4, 0xd5, 0xd9, 0xdc, 0xde,
        0xff, b'"', b'a', b'b',
    ];
    let byte = prop_oneof![any::<u8>(), prop::sample::select(markers)];
    prop::collection::vec(byte, 0..48)
}

/// Bytes that look like JSON often enough to get past the first token.
fn jsonish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet = b"{}[]\":,0123456789.eE-+ \\ntrufalsvyp\x01\xff";
    prop::collection::vec(prop::sample::select(alphabet.to_vec()), 0..48)
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn msgpack_round_trip((ty, value) in arb_typed_value(true)) {
        let bytes = msgpack::encode(&value, &ty).unwrap();
        let decoded = msgpack::decode(&bytes, &ty).unwrap();
        prop_assert!(decoded.same_as(&value), "{decoded:?}");
        prop_assert_eq!(msgpack::encode(&decoded, &ty).unwrap(), bytes);
    }

    #[test]
    fn json_round_trip((ty, value) in arb_typed_value(false)) {
        let bytes = json::encode(&value, &ty).unwrap();
        let decoded = json::decode(&bytes, &ty).unwrap();
        prop_assert!(decoded.same_as(&value), "{decoded:?}");
    }

    #[test]
    fn type_json_round_trip(ty in arb_type()) {
        prop_assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()).unwrap(), ty);
    }

    #[test]
    fn number_text_round_trip(n in arb_number()) {
        prop_assert_eq!(n.to_string().parse::<Number>().unwrap(), n.clone());
        if let Some(i) = n.as_i64() {
            prop_assert_eq!(Number::from_i64(i), n);
        }
    }

    #[test]
    fn number_order_matches_f64((a, b) in (any::<f64>(), any::<f64>())) {
        if let (Some(x), Some(y)) = (Number::from_f64(a), Number::from_f64(b)) {
            prop_assert_eq!(x.partial_cmp(&y), a.partial_cmp(&b));
            prop_assert_eq!(x.as_f64(), a);
        }
    }
}

// The no-panic tests: together well over 100,000 cases per `cargo test`.
proptest! {
    #![proptest_config(config(40_000))]

    #[test]
    fn msgpack_decode_never_panics(ty in arb_type(), bytes in msgpackish_bytes()) {
        if let Ok(value) = msgpack::decode(&bytes, &ty) {
            check_decoded(&value, &ty)?;
        }
    }
}

proptest! {
    #![proptest_config(config(25_000))]

    #[test]
    fn msgpack_decode_never_panics_after_valid_prefix(
        (ty, value) in arb_typed_value(true),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
        tail in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = msgpack::encode(&value, &ty).unwrap();
        if !bytes.is_empty() {
            let at = flip.0.index(bytes.len());
            bytes[at] ^= flip.1;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        bytes.extend_from_slice(&tail);
        if let Ok(value) = msgpack::decode(&bytes, &ty) {
            check_decoded(&value, &ty)?;
        }
    }

    #[test]
    fn json_decode_never_panics(ty in arb_type(), bytes in jsonish_bytes()) {
        if let Ok(value) = json::decode(&bytes, &ty) {
            prop_assert!(value.is_known());
            prop_assert!(json::encode(&value, &ty).is_ok());
        }
    }
}

proptest! {
    #![proptest_config(config(15_000))]

    #[test]
    fn json_decode_never_panics_after_valid_prefix(
        (ty, value) in arb_typed_value(false),
        cut in any::<prop::sample::Index>(),
        tail in jsonish_bytes(),
    ) {
        let mut bytes = json::encode(&value, &ty).unwrap();
        bytes.truncate(cut.index(bytes.len() + 1));
        bytes.extend_from_slice(&tail);
        if let Ok(value) = json::decode(&bytes, &ty) {
            prop_assert!(json::encode(&value, &ty).is_ok());
        }
    }
}

/// Values are moved and stored by the thousand per plan: an unknown's refinements are
/// boxed so that they do not make every other value as large.
#[test]
fn a_value_is_small() {
    assert!(
        std::mem::size_of::<Value>() <= 48,
        "{}",
        std::mem::size_of::<Value>()
    );
}

/// Whether an object holds attribute `name`, set to null (not merely absent).
fn has_null(value: &Value, name: &str) -> bool {
    matches!(value, Value::Object(attrs) if attrs.get(name) == Some(&Value::Null))
}
