//! The store's promises: blobs are durable before metadata refers to them, a crash leaves no
//! torn object, keys never become paths, listings run in byte order.

use std::io::Write;

use bucketflow_store::{
    BucketRecord, ObjectRecord, PartRecord, Store, StoreError, UploadRecord, UploadState,
    just_after, now_ms, skip_past_prefix,
};

const BUCKET: &str = "store-1250000000";

fn open(dir: &std::path::Path) -> Store {
    let store = Store::open(dir).unwrap();
    let bucket = BucketRecord {
        name: BUCKET.into(),
        region: "ap-guangzhou".into(),
        acl: "private".into(),
        created_ms: now_ms(),
    };
    match store.write(|tx| tx.create_bucket(&bucket)) {
        Ok(()) | Err(StoreError::BucketExists) => {}
        Err(e) => panic!("{e}"),
    }
    store
}

fn blob(store: &Store, bytes: &[u8]) -> String {
    let (temp, mut file) = store.blobs().create_temp().unwrap();
    file.write_all(bytes).unwrap();
    drop(file);
    store.blobs().persist(temp).unwrap()
}

fn object(key: &str, blob: &str) -> ObjectRecord {
    ObjectRecord {
        bucket: BUCKET.into(),
        key: key.into(),
        blob: blob.into(),
        size: 1,
        etag: "\"e\"".into(),
        crc64: 7,
        modified_ms: now_ms(),
        content_type: "text/plain".into(),
        acl: "default".into(),
        storage_class: "STANDARD".into(),
        headers: vec![("Cache-Control".into(), "no-cache".into())],
        meta: vec![("x-cos-meta-a".into(), "b".into())],
    }
}

#[test]
fn an_overwrite_hands_back_the_replaced_blob() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let first = blob(&store, b"one");
    let second = blob(&store, b"two");
    assert_eq!(
        store
            .write(|tx| tx.put_object(&object("k", &first)))
            .unwrap(),
        None
    );
    let replaced = store
        .write(|tx| tx.put_object(&object("k", &second)))
        .unwrap();
    assert_eq!(replaced.as_deref(), Some(first.as_str()));
    let stored = store.read(|r| r.object(BUCKET, "k")).unwrap().unwrap();
    let mut expected = object("k", &second);
    expected.modified_ms = stored.modified_ms;
    assert_eq!(stored, expected, "every attribute round-trips");
}

#[test]
fn a_blob_no_row_refers_to_is_swept_on_open_and_temp_files_are_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let (kept, orphan) = {
        let store = open(dir.path());
        let kept = blob(&store, b"kept");
        store
            .write(|tx| tx.put_object(&object("k", &kept)))
            .unwrap();
        // A crash between the blob's rename and the metadata commit leaves this one behind.
        let orphan = blob(&store, b"orphan");
        // And a crash mid-upload leaves a temporary file.
        let (temp, mut file) = store.blobs().create_temp().unwrap();
        file.write_all(b"partial").unwrap();
        std::mem::forget(temp);
        (kept, orphan)
    };
    let store = open(dir.path());
    assert!(store.blobs().path(&kept).exists());
    assert!(!store.blobs().path(&orphan).exists());
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
}

#[test]
fn keys_are_data_not_paths_and_list_in_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let keys = [
        "../../x",
        "a b+c%",
        "a/",
        "a/b",
        "a0",
        "中文/键",
        "A",
        "a//b",
    ];
    for key in keys {
        let id = blob(&store, key.as_bytes());
        store.write(|tx| tx.put_object(&object(key, &id))).unwrap();
    }
    let listed: Vec<String> = store
        .read(|r| r.list_objects(BUCKET, "", &[], 100))
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    let mut expected: Vec<&str> = keys.to_vec();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(listed, expected);
    // Nothing was created outside the store's own folders.
    assert!(!dir.path().parent().unwrap().join("x").exists());

    let under_a: Vec<String> = store
        .read(|r| r.list_objects(BUCKET, "a/", &[], 100))
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(under_a, ["a/", "a//b", "a/b"]);
    let after: Vec<String> = store
        .read(|r| r.list_objects(BUCKET, "a/", &just_after("a/"), 100))
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(after, ["a//b", "a/b"]);
    let past: Vec<String> = store
        .read(|r| r.list_objects(BUCKET, "", &skip_past_prefix("a/").unwrap(), 100))
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(past.first().map(String::as_str), Some("a0"));
}

#[test]
fn a_completed_upload_keeps_its_result_and_frees_its_parts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let upload = UploadRecord {
        upload_id: "u1".into(),
        bucket: BUCKET.into(),
        key: "big".into(),
        initiated_ms: now_ms(),
        state: UploadState::Open,
        content_type: "application/octet-stream".into(),
        acl: "default".into(),
        storage_class: "STANDARD".into(),
        headers: Vec::new(),
        meta: Vec::new(),
        result_etag: None,
        result_crc64: None,
    };
    store.write(|tx| tx.create_upload(&upload)).unwrap();
    let part_blob = blob(&store, b"part");
    let part = PartRecord {
        part_number: 1,
        blob: part_blob.clone(),
        size: 4,
        etag: "\"p\"".into(),
        crc64: 1,
        modified_ms: now_ms(),
    };
    store.write(|tx| tx.put_part("u1", &part)).unwrap();
    assert!(matches!(
        store.write(|tx| tx.delete_bucket(BUCKET, &[])),
        Err(StoreError::BucketNotEmpty(_))
    ));

    let assembled = blob(&store, b"part");
    let freed = store
        .write(|tx| tx.complete_upload("u1", &object("big", &assembled)))
        .unwrap();
    assert_eq!(freed, [part_blob]);
    let done = store.read(|r| r.upload("u1")).unwrap().unwrap();
    assert_eq!(done.state, UploadState::Completed);
    assert_eq!(done.result_etag.as_deref(), Some("\"e\""));
    // A completed upload takes no more parts and cannot be aborted.
    assert!(matches!(
        store.write(|tx| tx.put_part("u1", &part)),
        Err(StoreError::NoSuchUpload)
    ));
    assert!(matches!(
        store.write(|tx| tx.abort_upload("u1")),
        Err(StoreError::NoSuchUpload)
    ));
}

#[test]
fn a_bucket_with_objects_is_not_deleted_and_an_empty_one_is() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = blob(&store, b"x");
    store.write(|tx| tx.put_object(&object("k", &id))).unwrap();
    assert!(matches!(
        store.write(|tx| tx.delete_bucket(BUCKET, &[])),
        Err(StoreError::BucketNotEmpty("objects"))
    ));
    store.write(|tx| tx.delete_object(BUCKET, "k")).unwrap();
    store.write(|tx| tx.delete_bucket(BUCKET, &[])).unwrap();
    assert!(store.read(|r| r.bucket(BUCKET)).unwrap().is_none());
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = blob(&store, b"x");
    let result: Result<(), StoreError> = store.write(|tx| {
        tx.put_object(&object("k", &id))?;
        Err(StoreError::Corrupt("abort the transaction".into()))
    });
    assert!(result.is_err());
    assert!(store.read(|r| r.object(BUCKET, "k")).unwrap().is_none());
}
