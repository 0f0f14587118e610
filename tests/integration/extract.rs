use crate::common::*;

fn extract(path: &str) -> Run {
    let sb = Sandbox::new();
    run(sb
        .shroud()
        .env("SOPS_AGE_KEY_FILE", identity(1))
        .args(["decrypt", "--extract", path])
        .arg(compat("synthetic/basic.enc.yaml")))
}

#[test]
fn scalar_prints_raw_without_newline() {
    assert_eq!(extract(r#"["string"]"#).ok().stdout, b"hello world");
    assert_eq!(
        extract(r#"["nested"]["deeper"]["secret"]"#).ok().stdout,
        b"s3cr3t"
    );
    assert_eq!(extract(r#"["integer"]"#).ok().stdout, b"42\n");
}

#[test]
fn map_and_list_items_print_in_the_output_format() {
    assert_eq!(
        extract(r#"["nested"]["deeper"]"#).ok().stdout_str(),
        "secret: s3cr3t\n"
    );
    assert_eq!(extract(r#"["list"][0]"#).ok().stdout, b"a");
    // Index 1 is the comment inside the list; indices count comments, as upstream.
    assert_eq!(extract(r#"["list"][2]"#).ok().stdout, b"2\n");
    assert_eq!(extract(r#"["list"][3]"#).ok().stdout, b"false\n");
}

#[test]
fn malformed_path_is_91_and_missing_key_is_1() {
    let r = extract(r#"["string""#).fails_with(91);
    assert!(r.stderr.contains("basic.enc.yaml"), "{}", r.stderr);
    extract("string").fails_with(91);
    let r = extract(r#"["nope"]"#).fails_with(1);
    assert!(r.stderr.contains(r#"["nope"]"#), "{}", r.stderr);
}
