package io.converge.server.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.gson.annotations.SerializedName;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.custom.Quantity;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Checks Kubernetes objects, read as Jackson trees, against the API's schema as the official Java
 * client's model classes carry it (they are generated from the Kubernetes OpenAPI document): every
 * field must be one the schema defines (as {@code kubectl}'s strict validation wants), of the
 * schema's type (no string for an integer, no boolean for a string), and the required fields
 * must be there. Enumerations and cross-field rules are the API server's, not checked here.
 */
final class KubernetesSchema {
    /** Kubernetes' quantity syntax: a decimal number with an optional binary, decimal or exponent suffix. */
    private static final Pattern QUANTITY =
            Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?");
    private static final String MODELS = "io.kubernetes.client.openapi.models.";
    /** The kinds the manifests may hold ({@code apiVersion/kind}) and the model of each. */
    private static final Map<String, String> KINDS = Map.of(
            "v1/Namespace", "V1Namespace",
            "v1/ConfigMap", "V1ConfigMap",
            "v1/Secret", "V1Secret",
            "v1/Service", "V1Service",
            "apps/v1/StatefulSet", "V1StatefulSet",
            "policy/v1/PodDisruptionBudget", "V1PodDisruptionBudget");

    private KubernetesSchema() {}

    /** Every way {@code object} (one manifest document) breaks the schema, one line each; empty when none. */
    static List<String> problems(JsonNode object) {
        List<String> problems = new ArrayList<>();
        String type = object.path("apiVersion").asText() + "/" + object.path("kind").asText();
        String model = KINDS.get(type);
        if (model == null) {
            problems.add("no schema for apiVersion/kind " + type + " (known: " + new TreeMap<>(KINDS).keySet() + ")");
            return problems;
        }
        try {
            checkObject(object, Class.forName(MODELS + model), "", problems);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the Kubernetes models lack " + model, e);
        }
        return problems;
    }

    /** Checks a JSON object against a model class: known fields, their types, the required ones. */
    private static void checkObject(JsonNode value, Class<?> model, String path, List<String> problems) {
        if (!value.isObject()) {
            problems.add(where(path) + "expected an object (" + model.getSimpleName() + "), got " + describe(value));
            return;
        }
        Map<String, Field> fields = fieldsOf(model);
        for (Map.Entry<String, JsonNode> property : value.properties()) {
            String name = property.getKey();
            String at = path.isEmpty() ? name : path + "." + name;
            Field field = fields.get(name);
            if (field == null) {
                problems.add(at + ": unknown field of " + model.getSimpleName() + " (its fields: "
                        + String.join(", ", fields.keySet()) + ")");
            } else {
                checkValue(property.getValue(), field.getGenericType(), at, problems);
            }
        }
        for (String required : requiredFieldsOf(model)) {
            if (value.path(required).isMissingNode() || value.path(required).isNull()) {
                problems.add(where(path) + "missing required field '" + required + "' of " + model.getSimpleName());
            }
        }
    }

    /** Checks one value against the Java type the model gives its field. */
    private static void checkValue(JsonNode value, Type type, String path, List<String> problems) {
        if (value.isNull()) {
            return; // the API server treats an explicit null as an absent field
        }
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
        boolean ok;
        String expected;
        if (raw == String.class) {
            ok = value.isTextual();
            expected = "a string";
        } else if (raw == Integer.class) {
            ok = value.isIntegralNumber() && value.canConvertToInt();
            expected = "a 32-bit integer";
        } else if (raw == Long.class) {
            ok = value.isIntegralNumber() && value.canConvertToLong();
            expected = "an integer";
        } else if (raw == Boolean.class) {
            ok = value.isBoolean();
            expected = "true or false";
        } else if (raw == Double.class || raw == Float.class) {
            ok = value.isNumber();
            expected = "a number";
        } else if (raw == IntOrString.class) {
            ok = value.isTextual() || (value.isIntegralNumber() && value.canConvertToInt());
            expected = "an integer or a string";
        } else if (raw == Quantity.class) {
            ok = value.isNumber() || (value.isTextual() && QUANTITY.matcher(value.asText()).matches());
            expected = "a quantity (e.g. 500m, 2Gi, 1.5)";
        } else if (raw == OffsetDateTime.class) {
            ok = value.isTextual();
            expected = "a date-time string";
        } else if (raw == byte[].class) {
            ok = value.isTextual() && isBase64(value.asText());
            expected = "base64 text";
        } else if (raw == Object.class) {
            ok = true;
            expected = "anything";
        } else if (List.class.isAssignableFrom(raw)) {
            if (value.isArray()) {
                Type element = ((ParameterizedType) type).getActualTypeArguments()[0];
                for (int i = 0; i < value.size(); i++) {
                    checkValue(value.get(i), element, path + "[" + i + "]", problems);
                }
                return;
            }
            ok = false;
            expected = "a list";
        } else if (Map.class.isAssignableFrom(raw)) {
            if (value.isObject()) {
                Type element = ((ParameterizedType) type).getActualTypeArguments()[1];
                for (Map.Entry<String, JsonNode> entry : value.properties()) {
                    checkValue(entry.getValue(), element, path + "." + entry.getKey(), problems);
                }
                return;
            }
            ok = false;
            expected = "a mapping";
        } else if (raw.getName().startsWith(MODELS)) {
            checkObject(value, raw, path, problems);
            return;
        } else {
            throw new IllegalStateException("no rule for fields of type " + type + " (at " + path + ")");
        }
        if (!ok) {
            problems.add(path + ": expected " + expected + ", got " + describe(value));
        }
    }

    /** The model's JSON fields by their JSON names, sorted. */
    private static Map<String, Field> fieldsOf(Class<?> model) {
        Map<String, Field> fields = new TreeMap<>();
        for (Field f : model.getDeclaredFields()) {
            SerializedName name = f.getAnnotation(SerializedName.class);
            if (name != null && !Modifier.isStatic(f.getModifiers())) {
                fields.put(name.value(), f);
            }
        }
        if (fields.isEmpty()) {
            throw new IllegalStateException(model + " has no @SerializedName fields: is it a model class?");
        }
        return fields;
    }

    /** The schema's required fields of the model, which its generator keeps in {@code openapiRequiredFields}. */
    private static Collection<String> requiredFieldsOf(Class<?> model) {
        try {
            Field f = model.getField("openapiRequiredFields");
            @SuppressWarnings("unchecked")
            Collection<String> required = (Collection<String>) f.get(null);
            return required;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(model + " has no openapiRequiredFields", e);
        }
    }

    /** Whether {@code text} is valid base64, as a Secret's {@code data} values must be. */
    private static boolean isBase64(String text) {
        try {
            Base64.getDecoder().decode(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The path as a message's prefix, nothing for the document itself. */
    private static String where(String path) {
        return path.isEmpty() ? "" : path + ": ";
    }

    /** A value's JSON type and (shortened) text, for messages. */
    private static String describe(JsonNode value) {
        String text = value.toString();
        return value.getNodeType().name().toLowerCase() + " " + (text.length() > 60 ? text.substring(0, 60) + "..." : text);
    }
}
