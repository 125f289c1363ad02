/**
 * What a tool is to the loop: a name, a description and a JSON Schema for the model, and a `run`
 * that never throws. Built-in tools are defined from a zod schema ({@link defineTool}): the
 * model's arguments are a boundary, so a bad argument becomes an error result naming the field,
 * and an exception inside the tool becomes an error result with its message.
 */
import { fieldIssues } from '@paddock/core';
import { z } from 'zod';

/** What a tool needs from the run. */
export type ToolContext = {
  /** The working directory paths resolve against. */
  cwd: string;
  /** When false, paths outside `cwd` are refused. */
  allowOutsideCwd: boolean;
  /** Outputs longer than this are cut in the middle, with a note. */
  maxOutputChars: number;
  /** Aborted when the run is cancelled or times out: tools stop and kill their processes. */
  signal: AbortSignal;
};

/** What the model is shown: the output text, and whether it is an error. */
export type ToolOutput = { output: string; isError: boolean };

export type Tool = {
  name: string;
  description: string;
  /** JSON Schema of the arguments (an object). */
  inputSchema: Record<string, unknown>;
  run(input: unknown, context: ToolContext): Promise<ToolOutput>;
};

/** The message of anything thrown, for a tool's error result. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The JSON Schema of a zod object schema, without the `$schema` key the providers do not want. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** A tool whose arguments are parsed with `schema` before `run` sees them. */
export function defineTool<S extends z.ZodType>(definition: {
  name: string;
  description: string;
  schema: S;
  run(args: z.output<S>, context: ToolContext): Promise<string | ToolOutput>;
}): Tool {
  return {
    name: definition.name,
    description: definition.description,
    inputSchema: jsonSchemaOf(definition.schema),
    async run(input, context) {
      if (typeof input === 'string') {
        return {
          output: `invalid arguments for ${definition.name}: not a JSON object`,
          isError: true,
        };
      }
      const parsed = definition.schema.safeParse(input);
      if (!parsed.success) {
        const issues = fieldIssues(parsed.error)
          .map((issue) => `${issue.path}: ${issue.message}`)
          .join('; ');
        return { output: `invalid arguments for ${definition.name}: ${issues}`, isError: true };
      }
      try {
        const result = await definition.run(parsed.data, context);
        return typeof result === 'string' ? { output: result, isError: false } : result;
      } catch (error) {
        return { output: errorMessage(error), isError: true };
      }
    },
  };
}

/**
 * Cuts `text` to at most about `maxChars`, keeping its head and tail and saying how much was left
 * out (the end of a command's output is usually what matters).
 */
export function truncateOutput(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = Math.ceil(maxChars / 2);
  const tail = maxChars - head;
  const omitted = text.length - head - tail;
  return `${text.slice(0, head)}\n[… ${omitted} characters truncated …]\n${text.slice(text.length - tail)}`;
}
