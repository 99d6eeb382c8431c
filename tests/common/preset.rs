//! Presets for tests, built instead of written out: a scenario against a URL, its tasks,
//! levels and targets, each one line in the test, rendered to the TOML a person would write.
//! What a builder call cannot say is passed as TOML lines (`extra`), kept in place.

/// A preset of one or more scenarios.
#[derive(Debug, Clone, Default)]
pub struct PresetText {
    name: Option<String>,
    scenarios: Vec<ScenarioText>,
}

/// One scenario: `[[scenario]]` with its service, tasks, levels and targets.
#[derive(Debug, Clone)]
pub struct ScenarioText {
    name: String,
    lines: Vec<String>,
    service: Vec<String>,
    tables: Vec<String>,
}

/// A preset named `name` holding `scenarios`.
pub fn preset(name: &str, scenarios: impl IntoIterator<Item = ScenarioText>) -> PresetText {
    PresetText {
        name: Some(name.to_string()),
        scenarios: scenarios.into_iter().collect(),
    }
}

/// A scenario `name` whose service is at `base_url`.
pub fn scenario(name: &str, base_url: &str) -> ScenarioText {
    ScenarioText {
        name: name.to_string(),
        lines: Vec::new(),
        service: vec![format!("base_url = {base_url:?}")],
        tables: Vec::new(),
    }
}

impl ScenarioText {
    /// A line of the scenario's own table (`think_time = "50ms"`).
    pub fn line(mut self, line: &str) -> Self {
        self.lines.push(line.to_string());
        self
    }

    /// A line of `[scenario.service]` (`health_path = "/health"`).
    pub fn service(mut self, line: &str) -> Self {
        self.service.push(line.to_string());
        self
    }

    /// A GET task of weight 1.
    pub fn task(self, name: &str, path: &str) -> Self {
        self.task_with(name, path, "")
    }

    /// A task with more of its lines (`weight = 3`, `checks = [...]`), one a line.
    pub fn task_with(mut self, name: &str, path: &str, extra: &str) -> Self {
        self.tables
            .push(format!("[[scenario.task]]\nname = {name:?}\npath = {path:?}\n{}", lines(extra)));
        self
    }

    /// A closed-model level of `users` for `duration` (`"2s"`).
    pub fn users(self, users: u32, duration: &str) -> Self {
        self.level(&format!("users = {users}\nduration = {duration:?}"))
    }

    /// An open-model level: `rate` arrivals a second, at most `max_in_flight`, for `duration`.
    pub fn rate(self, rate: f64, max_in_flight: u32, duration: &str) -> Self {
        self.level(&format!(
            "rate_per_sec = {rate}\nmax_in_flight = {max_in_flight}\nduration = {duration:?}"
        ))
    }

    /// A level with its lines as written.
    pub fn level(mut self, lines_of_level: &str) -> Self {
        self.tables.push(format!("[[scenario.level]]\n{}", lines(lines_of_level)));
        self
    }

    /// A target on every level and task.
    pub fn target(self, expr: &str) -> Self {
        self.target_with(expr, "")
    }

    /// A target with more of its lines (`level = "large"`, `task = "hello"`).
    pub fn target_with(mut self, expr: &str, extra: &str) -> Self {
        self.tables.push(format!("[[scenario.target]]\nexpr = {expr:?}\n{}", lines(extra)));
        self
    }

    /// Any other table of the scenario, as written (`[[scenario.failure_class]]` ...).
    pub fn table(mut self, toml: &str) -> Self {
        self.tables.push(lines(toml));
        self
    }

    /// The scenario alone as a preset.
    pub fn toml(&self) -> String {
        PresetText {
            name: None,
            scenarios: vec![self.clone()],
        }
        .toml()
    }
}

impl PresetText {
    /// The preset as TOML.
    pub fn toml(&self) -> String {
        let mut out = String::new();
        if let Some(name) = &self.name {
            out.push_str(&format!("name = {name:?}\n"));
        }
        for scenario in &self.scenarios {
            out.push_str(&format!("[[scenario]]\nname = {:?}\n", scenario.name));
            for line in &scenario.lines {
                out.push_str(line);
                out.push('\n');
            }
            out.push_str("[scenario.service]\n");
            for line in &scenario.service {
                out.push_str(line);
                out.push('\n');
            }
            for table in &scenario.tables {
                out.push_str(table);
            }
        }
        out
    }
}

/// `text`'s lines, each ending in a newline, blank ones dropped.
fn lines(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| format!("{line}\n"))
        .collect()
}
