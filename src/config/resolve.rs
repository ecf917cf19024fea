//! Resolution of the global settings: flags > env > context > defaults, and the TLS
//! settings a `security.toml` fills in.

use std::path::PathBuf;

use super::file::ContextSettings;
use super::*;

/// Collects values with their sources.
struct Layers<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    ctx: Option<(&'a str, &'a ContextSettings)>,
    settings: Vec<Setting>,
}

impl Layers<'_> {
    /// The first of flag, env, context, default that is set, recorded under `key`.
    // One argument per layer: each call reads as one row of the precedence table.
    #[allow(clippy::too_many_arguments)]
    fn pick<T: Clone>(
        &mut self,
        key: &'static str,
        flag: Option<T>,
        env_var: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
        ctx: impl Fn(&ContextSettings) -> Option<T>,
        default: Option<T>,
        show: impl Fn(&T) -> String,
    ) -> Result<Option<T>, String> {
        let env = (self.env)(env_var).filter(|v| !v.is_empty());
        let (value, source) = if let Some(v) = flag {
            (Some(v), Source::Flag)
        } else if let Some(raw) = env {
            let v = parse(&raw).map_err(|e| format!("{env_var}: {e}"))?;
            (Some(v), Source::Env(env_var.to_string()))
        } else if let Some((name, v)) = self.ctx.and_then(|(n, c)| ctx(c).map(|v| (n, v))) {
            (Some(v), Source::Context(name.to_string()))
        } else {
            (default, Source::Default)
        };
        self.settings.push(Setting {
            key,
            value: value.as_ref().map(&show).unwrap_or_default(),
            source,
        });
        Ok(value)
    }

    fn record(&mut self, key: &'static str, value: String, source: Source) {
        self.settings.push(Setting { key, value, source });
    }
}

fn path_string(p: &std::path::Path) -> String {
    p.display().to_string()
}

fn parse_path(s: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(s))
}

fn parse_string(s: &str) -> Result<String, String> {
    Ok(s.trim().to_string())
}

fn parse_protocol(s: &str) -> Result<ProtocolChoice, String> {
    <ProtocolChoice as clap::ValueEnum>::from_str(s.trim(), true)
        .map_err(|_| format!("{s:?} is not a protocol (auto, mq, legacy)"))
}

/// Which context applies: `--context`, `SWMQ_CONTEXT`, else the file's current context.
/// A name that the file does not have is an error when asked for, a warning when it is
/// the file's own `current-context`.
fn pick_context<'a>(
    flags: &Flags,
    inputs: &Inputs<'a>,
    warnings: &mut Vec<String>,
) -> Result<Option<(&'a str, &'a ContextSettings, Source)>, String> {
    let asked = match (
        &flags.context,
        (inputs.env)(ENV_CONTEXT).filter(|v| !v.is_empty()),
    ) {
        (Some(c), _) => Some((c.clone(), Source::Flag)),
        (None, Some(c)) => Some((c, Source::Env(ENV_CONTEXT.into()))),
        (None, None) => None,
    };
    let file = inputs.file;
    if let Some((name, source)) = asked {
        return match file.contexts.get_key_value(name.as_str()) {
            Some((n, c)) => Ok(Some((n.as_str(), c, source))),
            None => Err(unknown_context(&name, inputs)),
        };
    }
    let Some(current) = &file.current_context else {
        return Ok(None);
    };
    match file.contexts.get_key_value(current.as_str()) {
        Some((n, c)) => Ok(Some((n.as_str(), c, Source::Default))),
        None => {
            warnings.push(format!(
                "{}: current-context {current:?} is not defined; using the defaults",
                inputs.file_path.display()
            ));
            Ok(None)
        }
    }
}

fn unknown_context(name: &str, inputs: &Inputs<'_>) -> String {
    let known: Vec<&str> = inputs.file.contexts.keys().map(String::as_str).collect();
    let known = if known.is_empty() {
        "it has none; add one with `swmq context add`".to_string()
    } else {
        format!("known: {}", known.join(", "))
    };
    format!(
        "no context {name:?} in {} ({known})",
        inputs.file_path.display()
    )
}

/// Resolves the configuration. Errors (a context or an environment value that cannot be
/// used, an explicit security.toml that cannot be read) are usage errors; warnings (a
/// `current-context` that is not defined, a found security.toml that does not parse) are
/// printed and swmq goes on.
pub(crate) fn resolve(flags: &Flags, inputs: &Inputs<'_>) -> Result<(Config, Vec<String>), String> {
    let mut warnings = Vec::new();
    let context = pick_context(flags, inputs, &mut warnings)?;
    let mut l = Layers {
        env: inputs.env,
        ctx: context.as_ref().map(|(n, c, _)| (*n, *c)),
        settings: Vec::new(),
    };
    if let Some((name, _, source)) = &context {
        l.record("context", name.to_string(), source.clone());
    }
    let s = String::clone;
    let broker = l.pick(
        "broker",
        flags.broker.clone(),
        ENV_BROKER,
        parse_string,
        |c| c.broker.clone(),
        Some(DEFAULT_BROKER.to_string()),
        s,
    )?;
    let filer = l.pick(
        "filer",
        flags.filer.clone(),
        ENV_FILER,
        parse_string,
        |c| c.filer.clone(),
        Some(DEFAULT_FILER.to_string()),
        s,
    )?;
    let protocol = l.pick(
        "protocol",
        flags.protocol,
        ENV_PROTOCOL,
        parse_protocol,
        |c| c.protocol,
        Some(ProtocolChoice::Auto),
        |p| format!("{p:?}").to_lowercase(),
    )?;
    let timeout = l.pick(
        "connect-timeout",
        flags.connect_timeout,
        ENV_CONNECT_TIMEOUT,
        parse_timeout_secs,
        |c| {
            c.connect_timeout
                .and_then(|t| parse_timeout_secs(&t.to_string()).ok())
        },
        Some(DEFAULT_CONNECT_TIMEOUT),
        |d| format!("{}s", d.as_secs_f64()),
    )?;
    let utc = l.pick(
        "utc",
        flags.utc.then_some(true),
        ENV_UTC,
        parse_bool,
        |c| c.utc,
        Some(false),
        bool::to_string,
    )?;
    let read_only = resolve_read_only(flags, &mut l)?;
    let tls = resolve_tls(flags, inputs, &mut l, &mut warnings)?;
    let mut connect = ConnectOptions::new(broker.unwrap_or_else(|| DEFAULT_BROKER.into()));
    connect.filer = filer.unwrap_or_else(|| DEFAULT_FILER.into());
    connect.protocol = protocol.unwrap_or_default();
    connect.connect_timeout = timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    connect.tls = tls.0;
    connect.https = tls.1;
    let config = Config {
        connect,
        read_only,
        utc: utc.unwrap_or(false),
        tui_buffer: flags.buffer.unwrap_or(DEFAULT_TUI_BUFFER),
        log_file: flags.log_file.clone(),
        context: context.map(|(n, _, _)| n.to_string()),
        settings: l.settings,
        config_path: inputs.file_path.to_path_buf(),
    };
    Ok((config, warnings))
}

/// Read-only is on when any layer turns it on: a read-only context stays read-only
/// whatever the flags or the environment say.
fn resolve_read_only(flags: &Flags, l: &mut Layers<'_>) -> Result<bool, String> {
    let env = (l.env)(ENV_READ_ONLY)
        .map(|v| parse_bool(&v).map_err(|e| format!("{ENV_READ_ONLY}: {e}")))
        .transpose()?
        .unwrap_or(false);
    let ctx = l
        .ctx
        .and_then(|(n, c)| c.read_only.filter(|r| *r).map(|_| n));
    let source = if let Some(name) = ctx {
        Source::Context(name.to_string())
    } else if flags.read_only {
        Source::Flag
    } else if env {
        Source::Env(ENV_READ_ONLY.into())
    } else {
        Source::Default
    };
    let on = source != Source::Default;
    l.record("read-only", on.to_string(), source);
    Ok(on)
}

/// The gRPC TLS settings (each from flag, env or context), the gaps filled from a
/// security.toml: the one given (flag, env, context), else, when no TLS setting was given
/// at all, the first that `weed` would find. Also the HTTPS settings for HTTP reads.
fn resolve_tls(
    flags: &Flags,
    inputs: &Inputs<'_>,
    l: &mut Layers<'_>,
    warnings: &mut Vec<String>,
) -> Result<(TlsOptions, Option<TlsOptions>), String> {
    let (mut tls, given) = pick_tls(flags, l)?;
    let Some(sec) = security_toml(given, &tls, inputs, warnings)? else {
        return Ok((tls, None));
    };
    fill_from_security_toml(&mut tls, &sec, l);
    Ok((tls, sec.https))
}

/// The TLS settings given (flags, environment, context), and the `security.toml` named.
fn pick_tls(flags: &Flags, l: &mut Layers<'_>) -> Result<(TlsOptions, Option<PathBuf>), String> {
    let p = |v: &PathBuf| path_string(v);
    let ca = l.pick(
        "tls-ca",
        flags.tls_ca.clone(),
        ENV_TLS_CA,
        parse_path,
        |c| c.tls_ca.clone(),
        None,
        p,
    )?;
    let cert = l.pick(
        "tls-cert",
        flags.tls_cert.clone(),
        ENV_TLS_CERT,
        parse_path,
        |c| c.tls_cert.clone(),
        None,
        p,
    )?;
    let key = l.pick(
        "tls-key",
        flags.tls_key.clone(),
        ENV_TLS_KEY,
        parse_path,
        |c| c.tls_key.clone(),
        None,
        p,
    )?;
    let server_name = l.pick(
        "tls-server-name",
        flags.tls_server_name.clone(),
        ENV_TLS_SERVER_NAME,
        parse_string,
        |c| c.tls_server_name.clone(),
        None,
        String::clone,
    )?;
    let given = l.pick(
        "security-toml",
        flags.security_toml.clone(),
        ENV_SECURITY_TOML,
        parse_path,
        |c| c.security_toml.clone(),
        None,
        p,
    )?;
    let tls = TlsOptions {
        ca,
        cert,
        key,
        server_name,
    };
    Ok((tls, given))
}

/// The `security.toml` to use: the one named, else (without TLS settings) the one found
/// in the usual places; one found that cannot be read is ignored with a warning.
fn security_toml(
    given: Option<PathBuf>,
    tls: &TlsOptions,
    inputs: &Inputs<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<security::SecurityToml>, String> {
    let sec = match given {
        Some(path) => Some(security::read(&path).map_err(|e| e.to_string())?),
        None if !tls.is_enabled() => match security::lookup(inputs.home) {
            None => None,
            Some(found) => match security::read(&found) {
                Ok(s) => Some(s),
                Err(e) => {
                    warnings.push(format!("{e}; TLS settings from it ignored"));
                    None
                }
            },
        },
        None => None,
    };
    Ok(sec)
}

/// Fills the TLS files not given from `security.toml`'s `[grpc]`, saying where they came
/// from.
fn fill_from_security_toml(tls: &mut TlsOptions, sec: &security::SecurityToml, l: &mut Layers<'_>) {
    let from = Source::SecurityToml(sec.path.clone());
    let fill = |slot: &mut Option<PathBuf>, v: &Option<PathBuf>, key: &str, l: &mut Layers<'_>| {
        if slot.is_none()
            && let Some(v) = v
        {
            *slot = Some(v.clone());
            if let Some(s) = l.settings.iter_mut().find(|s| s.key == key) {
                s.value = v.display().to_string();
                s.source = from.clone();
            }
        }
    };
    fill(&mut tls.ca, &sec.grpc.ca, "tls-ca", l);
    fill(&mut tls.cert, &sec.grpc.cert, "tls-cert", l);
    fill(&mut tls.key, &sec.grpc.key, "tls-key", l);
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
