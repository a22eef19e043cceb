import type { OutputUnit } from "@cfworker/json-schema";
import { AGGREGATE_KEYWORDS, ConfigSchemaTooCostlyError, configValidator, linearTimeRefusal } from "@plugins/schema";
import {
  createErrorHandler,
  type RJSFSchema,
  type RJSFValidationError,
  toErrorSchema,
  unwrapErrorHandler,
  type ValidationData,
  type ValidatorType,
  validationDataMerge,
} from "@rjsf/utils";

type Config = Record<string, unknown>;

/**
 * The form's validator: the platform's own (`configValidator` of @plugins/schema, on
 * @cfworker/json-schema), so the form refuses what the server would refuse and no more, with
 * patterns on RE2 and a budget of steps as there. It interprets the schema: the page's
 * Content-Security-Policy forbids the `new Function` that @rjsf/validator-ajv8 compiles with.
 */
export const formValidator: ValidatorType<Config, RJSFSchema> = {
  validateFormData(formData, schema, customValidate, transformErrors, uiSchema) {
    const raw = problemsOf(schema, formData ?? {});
    const errors = transformErrors ? transformErrors(raw, uiSchema) : raw;
    const validation: ValidationData<Config> = { errors, errorSchema: toErrorSchema<Config>(errors) };
    if (!customValidate) return validation;
    const custom = customValidate(
      formData,
      createErrorHandler<Config>(formData ?? {}),
      uiSchema,
      validation.errorSchema,
    );
    return validationDataMerge(validation, unwrapErrorHandler(custom));
  },

  isValid(schema, formData, rootSchema) {
    // RJSF asks this of a subschema (to pick an anyOf or oneOf branch): its $refs point into the root's definitions.
    const withDefinitions =
      schema === rootSchema ? schema : { ...schema, $defs: rootSchema.$defs, definitions: rootSchema.definitions };
    return problemsOf(withDefinitions, formData).length === 0;
  },

  rawValidation(schema, formData) {
    try {
      return { errors: validatorOf(schema).validate(formData).errors as never[] };
    } catch (error) {
      return { validationError: error instanceof Error ? error : new Error(String(error)) };
    }
  },
};

/** Validators by schema: building one dereferences the schema, and RJSF validates on every change it checks. */
const validators = new WeakMap<object, ReturnType<typeof configValidator>>();

function validatorOf(schema: RJSFSchema) {
  let validator = validators.get(schema);
  if (!validator) {
    validator = configValidator(schema as Record<string, unknown>);
    validators.set(schema, validator);
  }
  return validator;
}

/** The schema's complaints about `value`, as RJSF shows them: under the field they are about. */
export function problemsOf(schema: RJSFSchema, value: unknown): RJSFValidationError[] {
  let units: OutputUnit[];
  try {
    const result = validatorOf(schema).validate(value);
    if (result.valid) return [];
    units = result.errors;
  } catch (error) {
    // As on the server: a schema too costly or whose patterns cannot run in linear time checks nothing.
    const reason =
      error instanceof ConfigSchemaTooCostlyError
        ? error.message
        : (linearTimeRefusal(error) ?? (error instanceof Error ? error.message : String(error)));
    return [
      {
        name: "schema",
        property: ".",
        message: `this version's config schema cannot check it: ${reason}`,
        stack: reason,
      },
    ];
  }
  const errors = units.filter((unit) => !AGGREGATE_KEYWORDS.has(unit.keyword)).map(errorOf);
  return errors.length > 0
    ? errors
    : [{ name: "schema", property: ".", message: "does not match the schema", stack: "does not match the schema" }];
}

function errorOf(unit: OutputUnit): RJSFValidationError {
  const at = propertyPath(unit.instanceLocation);
  const named = /property "([^"]*)"/i.exec(unit.error)?.[1];
  if (unit.keyword === "required" && named !== undefined) {
    const property = `${at === "." ? "" : at}.${named}`;
    return { name: "required", property, message: "is required", stack: `${property} is required` };
  }
  if ((unit.keyword === "additionalProperties" || unit.keyword === "unevaluatedProperties") && named !== undefined) {
    const message = `${named} is not a setting of this plugin`;
    return { name: unit.keyword, property: at, message, stack: `${at} ${message}` };
  }
  return { name: unit.keyword, property: at, message: unit.error, stack: `${at} ${unit.error}` };
}

/** `#/retry/attempts` → `.retry.attempts`, `#/a.b` → `['a.b']`: the path RJSF files an error under (`.` is the form itself). */
function propertyPath(pointer: string): string {
  const segments = pointer
    .replace(/^#\/?/, "")
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => decodeURIComponent(segment).replaceAll("~1", "/").replaceAll("~0", "~"));
  // Lodash's path syntax, which RJSF reads it with: brackets for a name that is no identifier.
  const path = segments.map((segment) =>
    /^(?:[A-Za-z_$][\w$]*|\d+)$/.test(segment) ? `.${segment}` : `['${segment}']`,
  );
  return path.length === 0 ? "." : path.join("");
}
