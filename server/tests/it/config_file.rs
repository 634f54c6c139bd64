use server::config_file::*;

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("skytrace-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn input_table_sits_beside_the_analysis_settings() {
    let path = write(
        "both.toml",
        "[risk]\nhigh = 0.75\n\n[input]\nformat = \"csv\"\ntimezone = \"Europe/Oslo\"\n\
         map = { user_id = \"User Principal Name\" }\n",
    );
    assert_eq!(analysis(Some(&path)).unwrap().risk.high, 0.75);
    let input = input(Some(&path)).unwrap();
    assert_eq!(input.format.as_deref(), Some("csv"));
    assert_eq!(input.timezone.as_deref(), Some("Europe/Oslo"));
    assert_eq!(input.map["user_id"], "User Principal Name");
}

#[test]
fn notifications_table_sits_beside_the_analysis_settings() {
    let path = write(
        "alerts.toml",
        "[risk]\nhigh = 0.7\n[notifications]\nmin_level = \"Critical\"\n\
         [notifications.webhook]\nurl = \"https://hooks.example.com/x\"\n",
    );
    assert_eq!(analysis(Some(&path)).unwrap().risk.high, 0.7);
    let read = notifications(Some(&path)).unwrap().expect("notifications");
    assert_eq!(read.min_level, engine::RiskLevel::Critical);
    assert!(read.webhook.is_some());
    let plain = write("plain.toml", "[risk]\nhigh = 0.7\n");
    assert!(notifications(Some(&plain)).unwrap().is_none());
}

#[test]
fn unknown_keys_are_errors_in_every_table() {
    for (name, text) in [
        ("n1.toml", "[notifications]\ncolour = 1\n"),
        ("n2.toml", "[notification]\n"),
    ] {
        let path = write(name, text);
        let error = match notifications(Some(&path)) {
            Err(error) => error,
            Ok(_) => analysis(Some(&path)).unwrap_err(),
        };
        assert!(
            format!("{error:#}").contains("unknown field"),
            "{text}: {error:#}"
        );
    }
}

#[test]
fn unknown_keys_are_errors_in_both() {
    let path = write("typo.toml", "[input]\nformats = \"csv\"\n");
    assert!(format!("{:#}", input(Some(&path)).unwrap_err()).contains("formats"));
    let path = write("typo2.toml", "[risk]\nhihg = 0.75\n");
    assert!(format!("{:#}", analysis(Some(&path)).unwrap_err()).contains("hihg"));
}
