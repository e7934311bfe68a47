import type { AgentConfigInput } from "../../agent/config/schema.js";
import { CommandFailure } from "../../agent/cli-support/command-io.js";
import { checkAnswer, QUESTIONS, type ConfigAnswers } from "./config-questions.js";
import type { LinePrompter } from "./line-prompter.js";

/**
 * Asks each question with its default in brackets; Enter keeps the default. Each answer
 * is checked with the agent's schema at once, and asked again with the reason until it
 * passes, so the engineer never gets to the end to find the first answer was wrong.
 */
export async function runWizard(options: {
  prompter: LinePrompter;
  write: (text: string) => void;
  defaults: ConfigAnswers;
  stateDir: string;
  base?: AgentConfigInput | undefined;
}): Promise<ConfigAnswers> {
  const answers: ConfigAnswers = { ...options.defaults };
  for (const question of QUESTIONS) {
    const fallback = options.defaults[question.key];
    const choices = question.choices === undefined ? "" : ` (${question.choices.join("/")})`;
    const hint = fallback === "" ? "" : ` [${fallback}]`;
    for (;;) {
      const typed = await options.prompter.ask(`${question.prompt}${choices}${hint}: `);
      if (typed === undefined)
        throw new CommandFailure("the input ended before every question was answered");
      answers[question.key] = typed === "" ? fallback : typed;
      const problems = checkAnswer(answers, question, options.stateDir, options.base);
      if (problems.length === 0) break;
      options.write(`  ${problems.join("; ")}\n`);
    }
  }
  return answers;
}
