//! GET Bucket (List Objects), spec §4.5.

use std::sync::Arc;

use bucketflow_store::{ObjectRecord, just_after, skip_past_prefix};
use bucketflow_xml::Element;
use http::Response;

use super::bucket::{owner, parse_limit};
use super::{iso8601_ms, url_encode_key};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply};

/// One listing entry: an object, or a prefix rolled up at the delimiter.
enum Entry {
    Object(Box<ObjectRecord>),
    Prefix(String),
}

struct Page {
    entries: Vec<Entry>,
    truncated: bool,
}

pub async fn list_objects(app: &Arc<App>, ctx: &Ctx, bucket: &str) -> ApiResult<Response<Body>> {
    let prefix = ctx.param("prefix").unwrap_or("").to_string();
    let delimiter = ctx.param("delimiter").unwrap_or("").to_string();
    let marker = ctx.param("marker").unwrap_or("").to_string();
    let max_keys = parse_limit(ctx.param_set("max-keys"), 1000, "max-keys")?;
    let encode = match ctx.param_set("encoding-type") {
        None => false,
        Some("url") => true,
        Some(other) => {
            return Err(ApiError::InvalidArgument(format!(
                "encoding-type `{other}` is not supported; use url."
            )));
        }
    };

    let page = {
        let (bucket, prefix, delimiter, marker) = (
            bucket.to_string(),
            prefix.clone(),
            delimiter.clone(),
            marker.clone(),
        );
        app.blocking(move |store| {
            store
                .read(|r| collect_page(r, &bucket, &prefix, &delimiter, &marker, max_keys))
                .map_err(ApiError::from)
        })
        .await?
    };

    let field = |s: &str| {
        if encode {
            url_encode_key(s)
        } else {
            s.to_string()
        }
    };
    let mut result = Element::new("ListBucketResult").child(Element::with_text("Name", bucket));
    if encode {
        result.push(Element::with_text("EncodingType", "url"));
    }
    result.push(Element::with_text("Prefix", field(&prefix)));
    result.push(Element::with_text("Marker", field(&marker)));
    result.push(Element::with_text("MaxKeys", max_keys.to_string()));
    if !delimiter.is_empty() {
        result.push(Element::with_text("Delimiter", delimiter.as_str()));
    }
    result.push(Element::with_text(
        "IsTruncated",
        page.truncated.to_string(),
    ));
    if page.truncated {
        let next = match page.entries.last() {
            Some(Entry::Object(o)) => o.key.clone(),
            Some(Entry::Prefix(p)) => p.clone(),
            None => String::new(),
        };
        result.push(Element::with_text("NextMarker", field(&next)));
    }
    for entry in &page.entries {
        result.push(match entry {
            Entry::Prefix(p) => {
                Element::new("CommonPrefixes").child(Element::with_text("Prefix", field(p)))
            }
            Entry::Object(o) => contents(o, &field(&o.key)),
        });
    }
    Ok(Reply::xml(&result))
}

fn contents(object: &ObjectRecord, key: &str) -> Element {
    Element::new("Contents")
        .child(Element::with_text("Key", key))
        .child(Element::with_text(
            "LastModified",
            iso8601_ms(object.modified_ms),
        ))
        .child(Element::with_text("ETag", object.etag.as_str()))
        .child(Element::with_text("Size", object.size.to_string()))
        .child(owner("Owner"))
        .child(Element::with_text(
            "StorageClass",
            object.storage_class.as_str(),
        ))
}

/// Walks the bucket in key order from the marker, rolling keys up at the delimiter, until
/// `max_keys` entries are collected. A rolled-up prefix is skipped in one seek, so a folder of
/// a million keys costs one entry, not a million rows.
fn collect_page(
    reader: &bucketflow_store::Reader<'_>,
    bucket: &str,
    prefix: &str,
    delimiter: &str,
    marker: &str,
    max_keys: usize,
) -> bucketflow_store::Result<Page> {
    let mut entries = Vec::new();
    let mut start = if marker.is_empty() {
        Vec::new()
    } else {
        just_after(marker)
    };
    // A marker inside a rolled-up prefix continues after that prefix.
    if !delimiter.is_empty()
        && !marker.is_empty()
        && let Some(rolled) = rollup(prefix, delimiter, marker)
        && rolled == marker
    {
        start = skip_past_prefix(&rolled).unwrap_or(start);
    }
    const BATCH: usize = 1000;
    loop {
        let batch = reader.list_objects(bucket, prefix, &start, BATCH)?;
        let exhausted = batch.len() < BATCH;
        let mut restarted = false;
        for object in batch {
            if entries.len() == max_keys {
                return Ok(Page {
                    entries,
                    truncated: true,
                });
            }
            match (!delimiter.is_empty())
                .then(|| rollup(prefix, delimiter, &object.key))
                .flatten()
            {
                Some(common) => {
                    let Some(next) = skip_past_prefix(&common) else {
                        entries.push(Entry::Prefix(common));
                        return Ok(Page {
                            entries,
                            truncated: false,
                        });
                    };
                    entries.push(Entry::Prefix(common));
                    start = next;
                    restarted = true;
                    break;
                }
                None => {
                    start = just_after(&object.key);
                    entries.push(Entry::Object(Box::new(object)));
                }
            }
        }
        if exhausted && !restarted {
            return Ok(Page {
                entries,
                truncated: false,
            });
        }
        if restarted {
            continue;
        }
        // A full batch of plain objects: check whether anything follows before deciding.
        if entries.len() == max_keys {
            let more = !reader.list_objects(bucket, prefix, &start, 1)?.is_empty();
            return Ok(Page {
                entries,
                truncated: more,
            });
        }
    }
}

/// The common prefix of `key`: `prefix` plus the text up to and including the first
/// delimiter after it, if there is one.
fn rollup(prefix: &str, delimiter: &str, key: &str) -> Option<String> {
    let rest = key.strip_prefix(prefix)?;
    let end = rest.find(delimiter)? + delimiter.len();
    Some(format!("{prefix}{}", &rest[..end]))
}

#[cfg(test)]
mod tests {
    use super::rollup;

    #[test]
    fn rollup_takes_text_through_first_delimiter() {
        assert_eq!(
            rollup("photos/", "/", "photos/2024/a.jpg").as_deref(),
            Some("photos/2024/")
        );
        assert_eq!(rollup("photos/", "/", "photos/a.jpg"), None);
        assert_eq!(rollup("", "/", "a/b/c"), Some("a/".into()));
    }
}
