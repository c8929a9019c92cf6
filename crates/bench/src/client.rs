//! A COS v5-signing HTTP/1.1 client for one bucket on a loopback server.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bucketflow_sign::enc;
use bucketflow_xml::{Element, Limits};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::Result;

/// Region in the Host header; the server answers for any.
const REGION: &str = "ap-guangzhou";

/// A key pair that the server accepts.
#[derive(Clone)]
pub struct Credentials {
    pub secret_id: String,
    pub secret_key: String,
}

/// One bucket on one server, every request signed with `credentials`.
#[derive(Clone)]
pub struct Cos {
    http: Client<HttpConnector, Full<Bytes>>,
    addr: SocketAddr,
    host: String,
    credentials: Credentials,
}

/// What a response carried, once its body was read to the end.
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
    /// From sending the request to its last body byte.
    pub latency: Duration,
}

impl Cos {
    pub fn new(addr: SocketAddr, bucket: &str, credentials: Credentials) -> Cos {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(128)
            .build(connector);
        Cos {
            http,
            addr,
            host: format!("{bucket}.cos.{REGION}.myqcloud.com"),
            credentials,
        }
    }

    /// `PUT /` on the bucket's host. An existing bucket of ours is fine.
    pub async fn create_bucket(&self) -> Result<()> {
        let answer = self.send(Method::PUT, "/", &[], Bytes::new()).await?;
        match answer.status {
            StatusCode::OK => Ok(()),
            StatusCode::CONFLICT if text(&answer.body).contains("BucketAlreadyOwnedByYou") => {
                Ok(())
            }
            status => Err(format!("create bucket: {status}: {}", text(&answer.body)).into()),
        }
    }

    /// `PUT /<key>`; returns the time to the answer.
    pub async fn put(&self, key: &str, body: Bytes) -> Result<Duration> {
        let answer = self.send(Method::PUT, &object_path(key), &[], body).await?;
        expect_ok("PUT", key, &answer)?;
        Ok(answer.latency)
    }

    /// `GET /<key>`, draining the body without keeping it; returns the time to the last byte
    /// and the number of bytes received.
    pub async fn get(&self, key: &str) -> Result<(Duration, u64)> {
        let started = Instant::now();
        let request = self.request(Method::GET, &object_path(key), &[], Bytes::new())?;
        let response = self.http.request(request).await?;
        let status = response.status();
        let mut body = response.into_body();
        let mut received = 0u64;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                received += data.len() as u64;
            }
        }
        if status != StatusCode::OK {
            return Err(format!("GET {key}: {status}").into());
        }
        Ok((started.elapsed(), received))
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        let answer = self
            .send(Method::DELETE, &object_path(key), &[], Bytes::new())
            .await?;
        if answer.status.is_success() {
            Ok(())
        } else {
            Err(format!("DELETE {key}: {}", answer.status).into())
        }
    }

    /// `POST /workflow`; returns the new `WorkflowId`.
    pub async fn create_workflow(&self, document: String) -> Result<String> {
        let answer = self
            .send(Method::POST, "/workflow", &[], Bytes::from(document))
            .await?;
        let root = expect_xml("POST /workflow", &answer)?;
        root.get("MediaWorkflow")
            .and_then(|w| w.text_of("WorkflowId"))
            .map(str::to_string)
            .ok_or_else(|| "POST /workflow: no WorkflowId in the answer".into())
    }

    /// One page of `GET /workflowexecution`.
    pub async fn list_executions(
        &self,
        workflow_id: &str,
        states: &str,
        next_token: Option<&str>,
    ) -> Result<ExecutionPage> {
        let mut params = vec![
            ("workflowId".to_string(), workflow_id.to_string()),
            ("states".to_string(), states.to_string()),
            ("size".to_string(), "100".to_string()),
        ];
        if let Some(token) = next_token {
            params.push(("nextToken".to_string(), token.to_string()));
        }
        let answer = self
            .send(Method::GET, "/workflowexecution", &params, Bytes::new())
            .await?;
        let root = expect_xml("GET /workflowexecution", &answer)?;
        let items = root
            .get_all("WorkflowExecutionList")
            .map(|item| ExecutionItem {
                run_id: item.text_of("RunId").unwrap_or_default().to_string(),
                state: item.text_of("State").unwrap_or_default().to_string(),
                object: item.text_of("Object").unwrap_or_default().to_string(),
            })
            .collect();
        let next_token = root
            .text_of("NextToken")
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        Ok(ExecutionPage { items, next_token })
    }

    /// `POST /inventorytriggerjob`; returns the new job's detail.
    pub async fn create_batch_job(&self, document: String) -> Result<JobDetail> {
        let answer = self
            .send(
                Method::POST,
                "/inventorytriggerjob",
                &[],
                Bytes::from(document),
            )
            .await?;
        let root = expect_xml("POST /inventorytriggerjob", &answer)?;
        JobDetail::from_response(&root)
            .ok_or_else(|| "POST /inventorytriggerjob: no JobsDetail/JobId in the answer".into())
    }

    /// `GET /inventorytriggerjob/<JobId>`.
    pub async fn batch_job(&self, job_id: &str) -> Result<JobDetail> {
        let path = format!("/inventorytriggerjob/{job_id}");
        let answer = self.send(Method::GET, &path, &[], Bytes::new()).await?;
        let root = expect_xml("GET /inventorytriggerjob", &answer)?;
        JobDetail::from_response(&root)
            .ok_or_else(|| format!("GET {path}: no JobsDetail in the answer").into())
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        params: &[(String, String)],
        body: Bytes,
    ) -> Result<Answer> {
        let started = Instant::now();
        let request = self.request(method, path, params, body)?;
        let response = self.http.request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            body,
            latency: started.elapsed(),
        })
    }

    /// A request signed over `host` and every query parameter, as the SDK signs.
    fn request(
        &self,
        method: Method,
        path: &str,
        params: &[(String, String)],
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>> {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        let uri = if query.is_empty() {
            format!("http://{}{path}", self.addr)
        } else {
            format!("http://{}{path}?{}", self.addr, query.join("&"))
        };
        let authorization = self.authorization(method.as_str(), path, params);
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, &self.host)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Full::new(body))?;
        Ok(request)
    }

    fn authorization(&self, method: &str, path: &str, params: &[(String, String)]) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let key_time = format!("{};{}", now.saturating_sub(60), now + 3600);
        let headers = [("host".to_string(), self.host.clone())];
        let signature = bucketflow_sign::signature(
            &self.credentials.secret_key,
            &key_time,
            method,
            path,
            params,
            &headers,
        );
        let mut param_names: Vec<String> = params
            .iter()
            .map(|(k, _)| enc(k).to_ascii_lowercase())
            .collect();
        param_names.sort();
        format!(
            "q-sign-algorithm=sha1&q-ak={}&q-sign-time={key_time}&q-key-time={key_time}\
             &q-header-list=host&q-url-param-list={}&q-signature={signature}",
            self.credentials.secret_id,
            param_names.join(";")
        )
    }
}

/// One `WorkflowExecutionList` item.
pub struct ExecutionItem {
    pub run_id: String,
    pub state: String,
    pub object: String,
}

/// A batch job's `JobsDetail`: its state and `Progress` counts.
#[derive(Debug, Clone, Default)]
pub struct JobDetail {
    pub job_id: String,
    pub state: String,
    pub selected: u64,
    pub success: u64,
    pub failed: u64,
}

impl JobDetail {
    fn from_response(root: &Element) -> Option<JobDetail> {
        let detail = root.get("JobsDetail")?;
        let progress = detail.get("Progress");
        let count = |name: &str| {
            progress
                .and_then(|p| p.text_of(name))
                .and_then(|text| text.parse().ok())
                .unwrap_or(0)
        };
        Some(JobDetail {
            job_id: detail.text_of("JobId")?.to_string(),
            state: detail.text_of("State").unwrap_or_default().to_string(),
            selected: count("SelectedCount"),
            success: count("SuccessCount"),
            failed: count("FailedCount"),
        })
    }

    /// `Success`, `Failed` and `Cancel` are final.
    pub fn is_final(&self) -> bool {
        matches!(self.state.as_str(), "Success" | "Failed" | "Cancel")
    }
}

pub struct ExecutionPage {
    pub items: Vec<ExecutionItem>,
    pub next_token: Option<String>,
}

/// Keys are plain ASCII here (`[a-z0-9/._-]`), so the path is the key as is.
fn object_path(key: &str) -> String {
    format!("/{key}")
}

fn text(body: &Bytes) -> String {
    String::from_utf8_lossy(body).into_owned()
}

fn expect_ok(what: &str, key: &str, answer: &Answer) -> Result<()> {
    if answer.status == StatusCode::OK {
        Ok(())
    } else {
        Err(format!("{what} {key}: {}: {}", answer.status, text(&answer.body)).into())
    }
}

fn expect_xml(what: &str, answer: &Answer) -> Result<Element> {
    if answer.status != StatusCode::OK {
        return Err(format!("{what}: {}: {}", answer.status, text(&answer.body)).into());
    }
    Ok(bucketflow_xml::parse(&answer.body, &Limits::default())?)
}
