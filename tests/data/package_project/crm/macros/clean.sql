{# A helper named with `_`, as packages name their private macros: Jinja modules do not
   export such names, the in-process renderer must still find it. #}
{% macro _trimmed(column) %}trim({{ column }}){% endmacro %}

{% macro cleaned(column) %}lower({{ _trimmed(column) }}){% endmacro %}
