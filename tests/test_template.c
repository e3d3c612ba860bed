/* The template engine: values, quoting per syntax, blocks, loops, the
 * standalone-line rule and every error a template author can make. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template.h"

/* Render text as name with v and return the output, or fail the test. */
static char *render_ok(const char *name, const char *text, const struct template_vars *v)
{
	char *out = NULL, *err = NULL;

	if (template_render(name, text, v, &out, &err) != 0)
		fail_msg("%s: unexpected error: %s", name, err);
	assert_null(err);
	return out;
}

/* Render and expect an error containing want. */
static void render_fails(const char *name, const char *text, const struct template_vars *v,
			 const char *want)
{
	char *out = NULL, *err = NULL;

	assert_int_equal(template_render(name, text, v, &out, &err), -1);
	assert_null(out);
	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
	free(err);
}

static void test_syntax_of(void **state)
{
	(void)state;
	assert_int_equal(template_syntax_of("etcd.yaml"), TEMPLATE_YAML);
	assert_int_equal(template_syntax_of("a.yml"), TEMPLATE_YAML);
	assert_int_equal(template_syntax_of("config.toml"), TEMPLATE_TOML);
	assert_int_equal(template_syntax_of("x.sh"), TEMPLATE_SHELL);
	assert_int_equal(template_syntax_of("kubelet.service"), TEMPLATE_TEXT);
	assert_int_equal(template_syntax_of("yaml"), TEMPLATE_TEXT);
}

static void test_values(void **state)
{
	struct template_vars *v = template_vars_new();
	char *out = NULL;

	(void)state;
	template_set(v, "network.podCIDR", "172.18.0.0/16");
	template_setf(v, "port", "%u", 7443u);
	template_set(v, "port", "6443"); /* replaced */
	out = render_ok("t.txt", "cidr={{network.podCIDR}} port={{ port }}\n", v);
	assert_string_equal(out, "cidr=172.18.0.0/16 port=6443\n");
	free(out);
	out = render_ok("t.txt", "no tags at all", v);
	assert_string_equal(out, "no tags at all");
	free(out);
	out = render_ok("t.txt", "", v);
	assert_string_equal(out, "");
	free(out);
	template_vars_free(&v);
	assert_null(v);
	template_vars_free(&v);
}

static void test_quoting(void **state)
{
	struct template_vars *v = template_vars_new();
	char *out = NULL;

	(void)state;
	template_set(v, "name", "true");
	template_set(v, "odd", "a \"b\"\\c\n'd'");
	out = render_ok("t.yaml", "name: {{name|q}}\nodd: {{odd|q}}\n", v);
	assert_string_equal(out, "name: \"true\"\nodd: \"a \\\"b\\\"\\\\c\\n'd'\"\n");
	free(out);
	out = render_ok("t.toml", "x = {{odd|q}}\n", v);
	assert_string_equal(out, "x = \"a \\\"b\\\"\\\\c\\n'd'\"\n");
	free(out);
	out = render_ok("t.sh", "echo {{odd|q}}\n", v);
	assert_string_equal(out, "echo 'a \"b\"\\c\n'\\''d'\\'''\n");
	free(out);
	/* A value with specials is never inserted raw. */
	render_fails("t.yaml", "x: {{odd}}\n", v, "t.yaml:1: the value of odd");
	render_fails("t.txt", "\n\nx={{name|q}}", v, "t.txt:3: {{name|q}}: this template's syntax");
	/* A value ending with ':' would end a plain YAML scalar; inside
	 * double quotes it is harmless. */
	template_set(v, "addr", "fd00::");
	render_fails("t.yaml", "- x\n- --bind={{addr}}\n", v, "t.yaml:2: the value of addr ('fd00::')");
	out = render_ok("t.yaml", "- \"--bind={{addr}}\"\n- \"a\\\"\" {{name}}\n", v);
	assert_string_equal(out, "- \"--bind=fd00::\"\n- \"a\\\"\" true\n");
	free(out);
	out = render_ok("t.txt", "x={{addr}}", v);
	assert_string_equal(out, "x=fd00::");
	free(out);
	template_set(v, "space", "a b");
	render_fails("t.txt", "{{space}}", v, "cannot be inserted unquoted");
	template_vars_free(&v);
}

static void test_blocks(void **state)
{
	struct template_vars *v = template_vars_new();
	char *out = NULL;

	(void)state;
	template_set_bool(v, "on", true);
	template_set_bool(v, "off", false);
	template_set(v, "empty", "");
	out = render_ok("t.txt", "{{#if on}}A{{else}}B{{/if}}{{#if off}}C{{else}}D{{/if}}"
				 "{{#unless off}}E{{/unless}}{{#unless on}}F{{/unless}}"
				 "{{#if empty}}G{{/if}}",
			v);
	assert_string_equal(out, "ADE");
	free(out);
	/* An unresolvable name in a branch not taken is not looked up. */
	out = render_ok("t.txt", "{{#if off}}{{nothing}}{{/if}}ok", v);
	assert_string_equal(out, "ok");
	free(out);
	template_set(v, "word", "maybe");
	render_fails("t.txt", "{{#if word}}x{{/if}}", v, "'word' is 'maybe', not true or false");
	template_vars_free(&v);
}

static void test_loops(void **state)
{
	struct template_vars *v = template_vars_new();
	struct template_vars *m = NULL;
	char *out = NULL;

	(void)state;
	template_set(v, "port", "2380");
	m = template_add_item(v, "members");
	template_set(m, "name", "m1");
	template_set(m, "address", "10.1.1.1");
	m = template_add_item(v, "members");
	template_set(m, "name", "m2");
	template_set(m, "address", "10.1.1.2");
	/* Item names first, then outer names; position names. */
	out = render_ok("t.txt", "{{#each members}}{{name}}=https://{{address}}:{{port}}"
				 "{{#unless @last}},{{/unless}}{{/each}}",
			v);
	assert_string_equal(out, "m1=https://10.1.1.1:2380,m2=https://10.1.1.2:2380");
	free(out);
	out = render_ok("t.txt", "{{#each members}}{{@index}}/{{@number}}{{#if @first}}*{{/if}} "
				 "{{/each}}",
			v);
	assert_string_equal(out, "0/1* 1/2 ");
	free(out);
	/* Lists are true when non-empty; an empty list loops zero times. */
	template_set_list(v, "none");
	out = render_ok("t.txt", "{{#if members}}yes{{/if}}{{#if none}}no{{/if}}"
				 "{{#each none}}{{missing}}{{/each}}.",
			v);
	assert_string_equal(out, "yes.");
	free(out);
	/* Nested loops see the outer item. */
	m = template_add_item(v, "mirrors");
	template_set(m, "registry", "docker.io");
	template_set(template_add_item(m, "endpoints"), "url", "https://a");
	template_set(template_add_item(m, "endpoints"), "url", "https://b");
	out = render_ok("t.txt", "{{#each mirrors}}{{#each endpoints}}{{registry}}>{{url}};"
				 "{{/each}}{{/each}}",
			v);
	assert_string_equal(out, "docker.io>https://a;docker.io>https://b;");
	free(out);
	render_fails("t.txt", "{{members}}", v, "'members' is a list");
	render_fails("t.txt", "{{#each port}}{{/each}}", v, "not a list");
	render_fails("t.txt", "{{@index}}", v, "unknown name '@index'");
	template_vars_free(&v);
}

static void test_standalone_lines(void **state)
{
	struct template_vars *v = template_vars_new();
	char *out = NULL;

	(void)state;
	template_set_bool(v, "on", true);
	template_set(template_add_item(v, "l"), "x", "1");
	template_set(template_add_item(v, "l"), "x", "2");
	out = render_ok("t.yaml",
			"{{! a comment\n    on two lines }}\n"
			"a:\n"
			"{{! a comment line }}\n"
			"  {{#if on}}\n"
			"  b: 1\n"
			"  {{else}}\n"
			"  b: 2\n"
			"  {{/if}}\n"
			"  c:\n"
			"    {{#each l}}\n"
			"    - {{x}}\n"
			"    {{/each}}\n"
			"d: {{#if on}}inline{{/if}} end\n",
			v);
	assert_string_equal(out, "a:\n  b: 1\n  c:\n    - 1\n    - 2\nd: inline end\n");
	free(out);
	/* A tag sharing its line with text keeps the line. */
	out = render_ok("t.txt", "x {{#if on}}\ny\n{{/if}} z\n", v);
	assert_string_equal(out, "x \ny\n z\n");
	free(out);
	template_vars_free(&v);
}

static void test_errors(void **state)
{
	struct template_vars *v = template_vars_new();

	(void)state;
	template_set_bool(v, "on", true);
	render_fails("etcd.yaml", "a\nb {{nope}}\n", v, "etcd.yaml:2: unknown name 'nope'");
	render_fails("t.txt", "\n{{#if on}}\nx\n", v, "t.txt:2: {{#if on}} is never closed");
	render_fails("t.txt", "{{#if on}}x{{/each}}", v, "{{/each}} closes the {{#if}} of line 1");
	render_fails("t.txt", "x{{/if}}", v, "{{/if}} closes nothing");
	render_fails("t.txt", "{{else}}", v, "{{else}} outside");
	render_fails("t.txt", "{{#if on}}{{else}}{{else}}{{/if}}", v, "{{else}} outside");
	render_fails("t.txt", "a {{ b\n}}", v, "t.txt:1: '{{' without '}}'");
	render_fails("t.txt", "{{! a\ncomment\n}}\n{{nope}}", v, "t.txt:4: unknown name 'nope'");
	render_fails("t.txt", "{{! open", v, "t.txt:1: '{{!' without '}}'");
	render_fails("t.txt", "{{a b}}", v, "malformed tag {{a b}}");
	render_fails("t.txt", "{{}}", v, "malformed tag");
	render_fails("t.txt", "{{x|z}}", v, "malformed tag");
	render_fails("t.txt", "{{#if on|q}}{{/if}}", v, "malformed tag");
	render_fails("t.txt", "{{/if x}}", v, "unexpected text after {{/if}}");
	template_vars_free(&v);
}

static void test_read(void **state)
{
	char *text = NULL, *err = NULL;

	(void)state;
	setenv("K8SW_ASSETS_DIR", "/nonexistent-k8sw", 1);
	assert_string_equal(template_assets_dir(), "/nonexistent-k8sw");
	assert_int_equal(template_read("x.yaml", &text, &err), -1);
	assert_null(text);
	assert_non_null(strstr(err, "/nonexistent-k8sw/templates/x.yaml"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax_of),
		cmocka_unit_test(test_values),    cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_blocks),    cmocka_unit_test(test_loops),
		cmocka_unit_test(test_standalone_lines), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
