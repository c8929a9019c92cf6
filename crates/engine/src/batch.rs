//! The batch scanner: walks the objects a batch (inventory trigger) job selects, one page per
//! transaction, starting the job's executions and committing the scan position with them.
//! It runs ahead of the workers by at most a bounded backlog, and batch tasks are claimed
//! after upload-triggered ones, so uploads keep flowing while a batch runs.

use std::io::{BufRead, BufReader, Seek, SeekFrom};

use bucketflow_store::{BatchJobRecord, ObjectRecord, Store, StoreError, Tx, just_after, now_ms};
use bucketflow_xml::Element;

use crate::trigger::start_one;
use crate::workflow::{Workflow, WorkflowError};

/// Objects (or URL-file lines) per scanned page.
pub const PAGE: usize = 200;
/// Batch tasks that may wait for a worker before the scanner pauses.
pub const MAX_BACKLOG: u64 = 2 * PAGE as u64;
/// The scanner's lease on a job while it scans a page.
const LEASE_MS: i64 = 60_000;

/// The single-node workflow a `Job`-type batch runs on each object: Start → ImageInspect → End
/// with the job's `JobParam/ImageInspect` options.
pub fn image_inspect_job_workflow(job_param: Option<&Element>) -> Result<Workflow, WorkflowError> {
    let options = job_param
        .and_then(|p| p.get("ImageInspect"))
        .cloned()
        .unwrap_or_else(|| Element::new("ImageInspect"));
    let body = Element::new("Request").child(
        Element::new("MediaWorkflow")
            .child(Element::with_text("Name", "ImageInspect"))
            .child(
                Element::new("Topology")
                    .child(
                        Element::new("Dependencies")
                            .child(Element::with_text("Start", "ImageInspect"))
                            .child(Element::with_text("ImageInspect", "End")),
                    )
                    .child(
                        Element::new("Nodes")
                            .child(
                                Element::new("Start")
                                    .child(Element::with_text("Type", "Start"))
                                    .child(
                                        Element::new("Input")
                                            .child(Element::with_text("ObjectPrefix", "/")),
                                    ),
                            )
                            .child(
                                Element::new("ImageInspect")
                                    .child(Element::with_text("Type", "ImageInspect"))
                                    .child(Element::new("Operation").child(options)),
                            ),
                    ),
            ),
    );
    Workflow::parse(body.to_compact().as_bytes())
}

/// What a job runs on each selected object.
enum Plan {
    Workflows(Vec<(String, Workflow)>),
    Job(Workflow),
}

/// Why a job cannot go on; it ends Failed with this code and message.
struct JobFailure {
    code: &'static str,
    message: String,
}

/// Does one step of batch work: scans one page of one job, or finishes jobs whose scan ended
/// and whose executions all ended. Returns whether it did anything (and so whether the
/// scheduler should be woken).
pub fn step(store: &Store) -> Result<bool, StoreError> {
    let finished = finish_scanned_jobs(store)?;
    let (pending, backlog) =
        store.read(|r| Ok::<_, StoreError>((r.batch_scan_pending()?, r.batch_backlog()?)))?;
    if !pending || backlog >= MAX_BACKLOG {
        return Ok(finished);
    }
    let Some(job) = store.write(|tx| tx.claim_batch_scan(now_ms(), LEASE_MS))? else {
        return Ok(finished);
    };
    scan_page(store, &job)?;
    Ok(true)
}

fn finish_scanned_jobs(store: &Store) -> Result<bool, StoreError> {
    if store.read(|r| r.scanned_batch_jobs())?.is_empty() {
        return Ok(false);
    }
    store.write(|tx| {
        let mut any = false;
        for job in tx.scanned_batch_jobs()? {
            let progress = tx.batch_progress(&job.job_id)?;
            if progress.running > 0 {
                continue;
            }
            let (state, code, message) = if job.selected == 0 {
                (
                    "Failed",
                    "EmptySelection",
                    "The job's input selected no object.".to_string(),
                )
            } else if job.skipped > 0 {
                (
                    "Success",
                    "Success",
                    format!(
                        "{} listed object(s) did not exist and were skipped.",
                        job.skipped
                    ),
                )
            } else {
                ("Success", "Success", String::new())
            };
            tx.finish_batch_job(&job.job_id, state, code, &message, now_ms())?;
            any = true;
        }
        Ok(any)
    })
}

/// Scans one page in one transaction: the executions it starts and the new cursor commit
/// together, so a crash repeats or loses no object.
fn scan_page(store: &Store, job: &BatchJobRecord) -> Result<(), StoreError> {
    let result = store.write(|tx| {
        // A cancel may have committed since the claim; a cancelled job scans nothing more.
        if tx
            .batch_job(&job.job_id)?
            .is_none_or(|current| current.state != "Running")
        {
            return Ok(None);
        }
        let plan = match load_plan(tx, job) {
            Ok(plan) => plan,
            Err(failure) => return Ok(Some(failure)),
        };
        let page = match select_page(store, tx, job) {
            Ok(page) => page,
            Err(failure) => return Ok(Some(failure)),
        };
        let mut selected = 0;
        for object in page.objects.iter().filter(|o| in_window(job, o)) {
            start(tx, job, &plan, object)?;
            selected += 1;
        }
        tx.advance_batch_scan(
            &job.job_id,
            page.cursor.as_deref(),
            (selected, page.skipped),
            page.done,
        )?;
        Ok::<_, StoreError>(None)
    })?;
    if let Some(failure) = result {
        tracing::warn!(
            job_id = job.job_id,
            code = failure.code,
            message = failure.message,
            "batch job failed"
        );
        store.write(|tx| {
            tx.finish_batch_job(
                &job.job_id,
                "Failed",
                failure.code,
                &failure.message,
                now_ms(),
            )
        })?;
    }
    Ok(())
}

fn in_window(job: &BatchJobRecord, object: &ObjectRecord) -> bool {
    job.from_ms.is_none_or(|from| object.modified_ms >= from)
        && job.to_ms.is_none_or(|to| object.modified_ms <= to)
}

fn load_plan(tx: &Tx<'_>, job: &BatchJobRecord) -> Result<Plan, JobFailure> {
    let document = bucketflow_xml::parse(job.document.as_bytes(), &Default::default()).ok();
    if job.job_type == "Job" {
        let param = document
            .as_ref()
            .and_then(|d| d.get("Operation"))
            .and_then(|o| o.get("JobParam"));
        return image_inspect_job_workflow(param)
            .map(Plan::Job)
            .map_err(|e| JobFailure {
                code: "InvalidArgument",
                message: e.to_string(),
            });
    }
    let mut workflows = Vec::new();
    for id in job.workflow_ids.split(',').filter(|id| !id.is_empty()) {
        let stored = tx.workflow_document(&job.bucket, id).ok().flatten();
        let Some(workflow) = stored.and_then(|d| Workflow::from_stored(&d).ok()) else {
            return Err(JobFailure {
                code: "InvalidArgument",
                message: format!("workflow {id} no longer exists."),
            });
        };
        workflows.push((id.to_string(), workflow));
    }
    Ok(Plan::Workflows(workflows))
}

fn start(
    tx: &Tx<'_>,
    job: &BatchJobRecord,
    plan: &Plan,
    object: &ObjectRecord,
) -> Result<(), StoreError> {
    match plan {
        Plan::Workflows(workflows) => {
            for (id, workflow) in workflows {
                start_one(tx, id, workflow, object, &job.job_id)?;
            }
        }
        Plan::Job(workflow) => {
            start_one(tx, "", workflow, object, &job.job_id)?;
        }
    }
    Ok(())
}

/// One page of a job's selection.
struct Page {
    objects: Vec<ObjectRecord>,
    skipped: u64,
    cursor: Option<Vec<u8>>,
    done: bool,
}

fn select_page(store: &Store, tx: &Tx<'_>, job: &BatchJobRecord) -> Result<Page, JobFailure> {
    let db = |e: StoreError| JobFailure {
        code: "InternalError",
        message: e.to_string(),
    };
    match job.input_kind.as_str() {
        "Object" => {
            let object = tx.object(&job.bucket, &job.input_value).map_err(db)?;
            Ok(Page {
                skipped: u64::from(object.is_none()),
                objects: object.into_iter().collect(),
                cursor: None,
                done: true,
            })
        }
        "Prefix" => {
            let start = job
                .cursor
                .as_deref()
                .map(|c| just_after(&String::from_utf8_lossy(c)))
                .unwrap_or_default();
            let objects = tx
                .list_objects(&job.bucket, &job.input_value, &start, PAGE)
                .map_err(db)?;
            let done = objects.len() < PAGE;
            let cursor = objects
                .last()
                .map(|o| o.key.as_bytes().to_vec())
                .or_else(|| job.cursor.clone());
            Ok(Page {
                objects,
                skipped: 0,
                cursor,
                done,
            })
        }
        "UrlFile" => url_file_page(store, tx, job),
        other => Err(JobFailure {
            code: "InvalidArgument",
            message: format!("input kind {other} is not supported."),
        }),
    }
}

/// Reads up to [`PAGE`] lines of the URL file from the byte offset in the cursor. Each line
/// is a key, or an `http(s)://` URL whose host names this bucket.
fn url_file_page(store: &Store, tx: &Tx<'_>, job: &BatchJobRecord) -> Result<Page, JobFailure> {
    let fail = |message: String| JobFailure {
        code: "InvalidArgument",
        message,
    };
    let list = tx
        .object(&job.bucket, &job.input_value)
        .map_err(|e| fail(e.to_string()))?
        .ok_or_else(|| fail(format!("the UrlFile {} does not exist.", job.input_value)))?;
    let offset = job
        .cursor
        .as_deref()
        .and_then(|c| <[u8; 8]>::try_from(c).ok())
        .map_or(0, u64::from_be_bytes);
    let file =
        std::fs::File::open(store.blobs().path(&list.blob)).map_err(|e| fail(e.to_string()))?;
    let mut reader = BufReader::new(file);
    reader
        .seek(SeekFrom::Start(offset))
        .map_err(|e| fail(e.to_string()))?;

    let mut position = offset;
    let mut objects = Vec::new();
    let mut skipped = 0;
    let mut lines = 0;
    let mut line = String::new();
    while lines < PAGE {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| fail(format!("UrlFile: {e}")))?;
        if read == 0 {
            break;
        }
        position += read as u64;
        lines += 1;
        let Some(key) = listed_key(line.trim(), &job.bucket).map_err(fail)? else {
            continue;
        };
        match tx
            .object(&job.bucket, &key)
            .map_err(|e| fail(e.to_string()))?
        {
            Some(object) => objects.push(object),
            None => skipped += 1,
        }
    }
    Ok(Page {
        objects,
        skipped,
        cursor: Some(position.to_be_bytes().to_vec()),
        done: lines < PAGE,
    })
}

/// The key a URL-file line names, `None` for a blank line; an error for another bucket's URL.
pub fn listed_key(line: &str, bucket: &str) -> Result<Option<String>, String> {
    if line.is_empty() {
        return Ok(None);
    }
    let Some(rest) = line
        .strip_prefix("http://")
        .or_else(|| line.strip_prefix("https://"))
    else {
        return Ok(Some(line.trim_start_matches('/').to_string()));
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let named = host
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if named != bucket {
        return Err(format!(
            "the UrlFile names {line}, which is not in bucket {bucket}."
        ));
    }
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let key = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| format!("the UrlFile line {line} is not valid UTF-8."))?
        .into_owned();
    Ok((!key.is_empty()).then_some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_file_lines_name_keys_of_this_bucket() {
        let bucket = "demo-1250000000";
        assert_eq!(
            listed_key("a/b.png", bucket).unwrap().as_deref(),
            Some("a/b.png")
        );
        assert_eq!(
            listed_key(
                "https://demo-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a%20b.png",
                bucket
            )
            .unwrap()
            .as_deref(),
            Some("dir/a b.png")
        );
        assert_eq!(listed_key("", bucket).unwrap(), None);
        assert!(listed_key("http://other-1.cos.x/a.png", bucket).is_err());
    }

    #[test]
    fn a_job_type_batch_runs_a_single_image_inspect_node() {
        let param = Element::new("JobParam").child(
            Element::new("ImageInspect")
                .child(Element::with_text("AutoProcess", "true"))
                .child(Element::with_text("ProcessType", "DeleteObject")),
        );
        let workflow = image_inspect_job_workflow(Some(&param)).unwrap();
        let options = workflow.image_inspect("ImageInspect").unwrap();
        assert!(options.auto_process);
        assert!(workflow.matches("anything.png", "image/png"));
    }
}
