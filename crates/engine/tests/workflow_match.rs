mod common;

use bucketflow_engine::workflow::{AUDIO_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES, Workflow};
use common::{parse, with_input};

/// A workflow with `ObjectPrefix` `prefix` and the given `ExtFilter` children.
fn filtered(prefix: &str, filter: &str) -> Workflow {
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!("<ExtFilter>{filter}</ExtFilter>")
    };
    let input = format!("<Input><ObjectPrefix>{prefix}</ObjectPrefix>{filter}</Input>");
    parse(&with_input(&input)).unwrap()
}

const ON: &str = "<State>On</State>";

#[test]
fn object_prefix_matches_the_start_of_the_key() {
    let wf = filtered("test", "");
    assert!(wf.matches("test.png", ""));
    assert!(wf.matches("test/a/b.png", ""));
    assert!(wf.matches("/test/a.png", ""));
    assert!(!wf.matches("other/test.png", ""));
    assert!(!wf.matches("Test.png", ""), "keys are case-sensitive");
}

#[test]
fn a_leading_slash_is_ignored_on_both_sides() {
    let wf = filtered("/wk-test", "");
    assert!(wf.matches("wk-test/game.mp4", ""));
    assert!(wf.matches("/wk-test/game.mp4", ""));
    assert!(!wf.matches("wk/game.mp4", ""));
}

#[test]
fn a_slash_prefix_matches_everything() {
    let wf = filtered("/", "");
    assert!(wf.matches("anything", ""));
    assert!(wf.matches("deep/key.bin", ""));
}

#[test]
fn the_seed_filter_is_off_so_every_suffix_passes() {
    let wf = parse(common::SEED_BODY).unwrap();
    assert!(wf.matches("test/a.png", "image/png"));
    assert!(wf.matches("test/a.exe", ""));
    assert!(!wf.matches("prod/a.png", "image/png"));
}

#[test]
fn image_switch_accepts_image_suffixes_case_insensitively() {
    let wf = filtered("/", &format!("{ON}<Image>true</Image>"));
    assert!(wf.matches("a.png", ""));
    assert!(wf.matches("dir/b.JPG", ""));
    assert!(wf.matches("c.Jpeg", "application/octet-stream"));
    assert!(!wf.matches("d.mp4", ""));
    assert!(!wf.matches("png", ""), "no suffix");
    assert!(
        !wf.matches("dir.png/file", ""),
        "the suffix comes from the last segment"
    );
}

#[test]
fn video_and_audio_switches_accept_their_suffixes() {
    let wf = filtered("/", &format!("{ON}<Video>true</Video><Audio>true</Audio>"));
    assert!(wf.matches("a.mp4", ""));
    assert!(wf.matches("a.MKV", ""));
    assert!(wf.matches("a.mp3", ""));
    assert!(wf.matches("a.flac", ""));
    assert!(!wf.matches("a.png", ""));
}

#[test]
fn custom_switch_accepts_custom_exts() {
    let wf = filtered(
        "/",
        &format!("{ON}<Custom>true</Custom><CustomExts>.Bin/dat</CustomExts>"),
    );
    assert!(wf.matches("x.bin", ""));
    assert!(wf.matches("x.DAT", ""));
    assert!(!wf.matches("x.png", ""));
    // CustomExts without Custom=true accept nothing.
    let wf = filtered(
        "/",
        &format!("{ON}<Image>true</Image><CustomExts>bin</CustomExts>"),
    );
    assert!(!wf.matches("x.bin", ""));
}

#[test]
fn all_file_accepts_everything() {
    let wf = filtered("/", &format!("{ON}<AllFile>true</AllFile>"));
    assert!(wf.matches("x", ""));
    assert!(wf.matches("x.anything", "text/plain"));
}

#[test]
fn a_filter_switched_on_with_nothing_selected_accepts_nothing() {
    let wf = filtered("/", ON);
    assert!(!wf.matches("x.png", "image/png"));
}

#[test]
fn a_filter_switched_off_accepts_everything() {
    let wf = filtered("/", "<State>Off</State><Image>true</Image>");
    assert!(wf.matches("x.exe", ""));
}

#[test]
fn content_type_switch_judges_by_content_type() {
    let wf = filtered(
        "/",
        &format!("{ON}<Image>true</Image><ContentType>true</ContentType>"),
    );
    assert!(wf.matches("no-suffix", "image/png"));
    assert!(wf.matches("x.bin", "IMAGE/webp; charset=binary"));
    assert!(
        !wf.matches("x.png", "video/mp4"),
        "the Content-Type wins over the suffix"
    );
    assert!(!wf.matches("x.png", "text/plain"));
    // A Content-Type that says nothing falls back to the suffix.
    assert!(wf.matches("x.png", ""));
    assert!(wf.matches("x.png", "application/octet-stream"));
    assert!(!wf.matches("x.txt", "application/octet-stream"));
}

#[test]
fn content_type_alone_accepts_nothing() {
    let wf = filtered("/", &format!("{ON}<ContentType>true</ContentType>"));
    assert!(!wf.matches("x.png", "image/png"));
}

#[test]
fn prefix_and_filter_must_both_match() {
    let wf = filtered("in/", &format!("{ON}<Image>true</Image>"));
    assert!(wf.matches("in/a.png", ""));
    assert!(!wf.matches("out/a.png", ""));
    assert!(!wf.matches("in/a.mp4", ""));
}

#[test]
fn suffix_lists_are_lower_case_and_disjoint() {
    let all = [IMAGE_SUFFIXES, VIDEO_SUFFIXES, AUDIO_SUFFIXES];
    for list in all {
        for suffix in list {
            assert_eq!(*suffix, suffix.to_lowercase());
            let owners = all.iter().filter(|l| l.contains(suffix)).count();
            assert_eq!(owners, 1, "{suffix} is in more than one list");
        }
    }
}
