def execute_command(image):
    lines = read_text(image)
    return ' '.join(lines.labels)
