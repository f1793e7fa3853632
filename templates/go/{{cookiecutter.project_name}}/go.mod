module {{ cookiecutter.module_path }}

go 1.21
