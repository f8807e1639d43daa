//! Secrets never reach output or reports: variables named like secrets are secrets, and their
//! values are masked as they appear, split by colour codes, base64-encoded at any alignment in
//! either alphabet, or percent-encoded; no error echoes a values file's line.

mod support;

use std::path::Path;

use support::docrun::docrun;

const NAMES: &[(&str, &str)] = &[
    ("LICENSE_KEY", "lic-9f8e7d6c5b"),
    ("SSH_PRIVATE_KEY", "ssh-qwertyuiop"),
    ("GPG_PASSPHRASE", "correct horse/battery+staple"),
    ("DB_CREDENTIALS", "user:pa55w0rd!"),
    ("DB_PWD", "hunter2hunter2"),
];

#[test]
fn secret_names_and_every_encoding_of_their_values_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let mut steps = String::new();
    for (name, _) in NAMES {
        steps.push_str(&format!(
            "```bash\necho \"plain ${name}\"\nprintf %s \"${name}\" | base64\nprintf 'a%s' \"${name}\" | base64 -w0; echo\nprintf 'ab%s' \"${name}\" | base64 | tr '+/' '-_'\npython3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=\"\"))' \"${name}\"\necho \"${name}\" | grep --color=always -e \"${{{name}:5:4}}\"\n```\n\n"
        ));
    }
    let guide = dir.path().join("guide.md");
    std::fs::write(&guide, format!("# Secrets\n\n{steps}")).unwrap();
    let junit = dir.path().join("junit.xml");
    let mut cmd = docrun(dir.path());
    cmd.arg("run")
        .arg(&guide)
        .arg("--json")
        .arg("--junit")
        .arg(&junit);
    for (name, value) in NAMES {
        cmd.arg("--set").arg(format!("{name}={value}"));
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report = std::fs::read_to_string(&junit).unwrap();
    let bare = |t: &str| docrun::plan::strip_control_sequences(t);
    for (name, value) in NAMES {
        let mut forms = vec![value.to_string()];
        forms.extend(docrun::plan::encoded_forms(value));
        for form in &forms {
            for (what, text) in [
                ("stdout", &*stdout),
                ("stderr", &*stderr),
                ("JUnit", &*report),
            ] {
                assert!(
                    !bare(text).contains(form.as_str()),
                    "{name}'s value shows as {form:?} in {what}"
                );
            }
        }
    }
    assert!(stdout.contains("plain ***"), "{stdout}");
}

#[test]
fn a_values_file_that_does_not_parse_is_named_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("guide.md");
    std::fs::write(&guide, "# G\n\n```bash\necho $DB_PWD\n```\n").unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, "DB_PWD: \"hunter2hunter2\" [broken\n").unwrap();
    let out = docrun(Path::new(dir.path()))
        .arg("plan")
        .arg(&guide)
        .arg("--values")
        .arg(&values)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("values.yaml:1"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
